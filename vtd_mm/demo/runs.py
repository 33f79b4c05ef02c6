"""Training and evaluation runs of the demo through MMAction2's Runner."""
import argparse
import contextlib
import copy
import logging
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from mmaction.utils import register_all_modules
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ..datasets import load_class_names
from ..datasets.annotation_list import annotation_entries
from ..evaluation import mean_std
from .dataset import generate_world

# name: (prompts, confidence weights, discrete token + fusion, hub correction)
VARIANTS = {
    'frozen zero-shot (uniform average)': (False, False, False, False),
    'prompt tuning, uniform average': (True, False, False, False),
    'prompt tuning, confidence weights': (True, True, False, False),
    'VTD-CLIP': (True, True, True, False),
    'VTD-CLIP w/o confidence weights': (True, False, True, False),
    'VTD-CLIP + hub correction (opt-in)': (True, True, True, True),
}


def prepare_world(data_root: str, videos_per_class: Optional[Sequence[int]] = None) -> dict:
    """Point the demo configs at ``data_root`` (``VTD_DEMO_DATA``), set the
    MMAction2 default scope, and generate the world there if absent
    (``videos_per_class``: train, val, test; None: the default world)."""
    os.environ['VTD_DEMO_DATA'] = data_root
    register_all_modules(init_default_scope=True)
    per_class = None if videos_per_class is None else dict(
        zip(('train', 'val', 'test'), videos_per_class))
    return generate_world(data_root, per_class=per_class)


def add_world_arguments(parser: argparse.ArgumentParser, work_dir: str) -> None:
    """The arguments of a tool scored on the demo world's test videos: an
    optional checkpoint, ``--data``, ``--work-dir``, ``--videos-per-class``."""
    parser.add_argument('checkpoint', nargs='?',
                        help='a trained demo checkpoint (default: none)')
    parser.add_argument('--data', default='data/demo_world',
                        help='the world (generated if absent)')
    parser.add_argument('--work-dir', default=work_dir)
    parser.add_argument('--videos-per-class', type=int, nargs=3,
                        metavar=('TRAIN', 'VAL', 'TEST'),
                        help='a smaller world, where it is generated (default 10 3 8)')


def world_test_videos(data_root: str) -> Tuple[List[str], List[int], List[str]]:
    """The world's test videos (clean condition) as absolute paths, their
    class ids and the world's 24 class names."""
    entries = annotation_entries(osp.join(data_root, 'test_all.txt'))
    videos = [osp.abspath(osp.join(data_root, 'videos', e.item)) for e in entries]
    return videos, [e.label for e in entries], load_class_names('demo_world_all.txt')


def slug(text: str) -> str:
    """A work-dir name for a variant or method: 'VTD-CLIP + x' -> 'vtd_clip_x'."""
    return '_'.join(''.join(c if c.isalnum() else ' ' for c in text.lower()).split())


def percent_mean_std(values: Sequence[float]) -> str:
    """'63.3 ± 6.2' for accuracies in [0, 1] over seeds; one value: '63.3'."""
    if len(values) == 1:
        return f'{100 * values[0]:.1f}'
    s = mean_std(values)
    return f"{100 * s['mean']:.1f} ± {100 * s['std']:.1f}"


def epochs_arg(text: str) -> int:
    """argparse type of an epoch count for the demo configs, which warm up for
    one epoch and then follow a cosine schedule: at least 2."""
    epochs = int(text)
    if epochs < 2:
        raise argparse.ArgumentTypeError(
            f'{epochs}: at least 2 (the configs warm up for one epoch, then follow a '
            'cosine schedule)')
    return epochs


def with_epochs(cfg: Config, epochs: int) -> Config:
    """The demo config trained for ``epochs`` (validated and saved at the end)."""
    cfg = copy.deepcopy(cfg)
    cfg.train_cfg.update(max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler[1].update(T_max=epochs - 1, end=epochs)
    cfg.default_hooks.checkpoint.interval = epochs
    return cfg


def variant_config(cfg: Config, variant: str) -> Config:
    """The demo config with one of :data:`VARIANTS`."""
    prompts, confidence, token, hub = VARIANTS[variant]
    cfg = copy.deepcopy(cfg)
    head = cfg.model.cls_head
    if not prompts:
        cfg.model.backbone.n_ctx = 0
        head.text_encoder.prompt_learner = None
    head.confidence = confidence
    head.hub_correction = hub
    if not token:
        head.fusion = None
    return cfg


def with_label_set(cfg: Config, data_root: str, class_set: str, test_list: str,
                   splits=('test', )) -> Config:
    """Run the ``splits`` dataloaders with the label set ``class_set``; the
    test list is ``test_list`` and the only test set. The model config is
    left as it is: the LabelSetHook hands the dataset's label set to the head."""
    cfg = copy.deepcopy(cfg)
    for split in splits:
        cfg[f'{split}_dataloader'].dataset.metainfo = dict(
            classes=f'demo_world_{class_set}.txt')
    cfg.test_dataloader.dataset.ann_file = osp.join(data_root, f'{test_list}.txt')
    cfg.pop('test_sets', None)
    return cfg


def _loggers() -> list:
    """mmengine's default logger and the current one (the last Runner's):
    the ones the Runner and ``print_log`` write to."""
    default, current = MMLogger.get_instance('mmengine'), MMLogger.get_current_instance()
    return [default] if current is default else [default, current]


@contextlib.contextmanager
def console_to(path: str):
    """Send what the Runner prints (environment, config, hooks, progress) to
    ``path`` instead of the terminal; the Runner's own log file in the work
    dir is written as always. Python warnings and errors still reach stderr,
    and the loggers made before (which hold the terminal) keep only warnings."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    terminal = sys.stdout
    quieted = [(h, h.level) for logger in _loggers()
               for h in logger.handlers if getattr(h, 'stream', None) is terminal]
    with open(path, 'a') as stream, contextlib.redirect_stdout(stream):
        for handler, _ in quieted:
            handler.setLevel(max(handler.level, logging.WARNING))
        try:
            yield
        finally:
            for handler, level in quieted:
                handler.setLevel(level)
            # a Runner made in the block holds the stream in its logger (the
            # current one now): detach it before the file closes
            for logger in _loggers():
                for handler in list(logger.handlers):
                    if getattr(handler, 'stream', None) is stream:
                        logger.removeHandler(handler)


def train_and_test(cfg: Config, work_dir: str, seed: Optional[int]
                   ) -> Tuple[Dict[str, float], Optional[str]]:
    """Train (``seed`` None: no training, the model as built, e.g. frozen
    CLIP) and test with the config's test loop, in one Runner. Its console
    goes to ``WORK_DIR/console.log``.

    Returns:
        (test metrics, final checkpoint or None).
    """
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    if seed is not None:
        cfg.randomness = dict(seed=seed)
    with console_to(osp.join(work_dir, 'console.log')):
        runner = Runner.from_cfg(cfg)
        checkpoint = None
        if seed is not None:
            runner.train()
            checkpoint = osp.join(work_dir, f'epoch_{runner.max_epochs}.pth')
        metrics = runner.test()
    return metrics, checkpoint


def evaluate(cfg: Config, work_dir: str, checkpoint: Optional[str]) -> Dict[str, float]:
    """Test metrics of ``checkpoint`` (None: the model as built, e.g. frozen CLIP)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    with console_to(osp.join(work_dir, 'console.log')):
        return Runner.from_cfg(cfg).test()
