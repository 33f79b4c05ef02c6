"""Training and evaluation runs of the demo through MMAction2's Runner."""
import copy
import os
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.runner import Runner


# name: (prompts, confidence weights, discrete token + fusion)
VARIANTS = {
    'frozen zero-shot (uniform average)': (False, False, False),
    'prompt tuning, uniform average': (True, False, False),
    'VTD-CLIP': (True, True, True),
    'VTD-CLIP w/o confidence weights': (True, False, True),
    'VTD-CLIP w/o discrete token': (True, True, False),
}


def prepare_world(data_root: str, per_class: Optional[Dict[str, int]] = None) -> dict:
    """Point the demo configs at ``data_root`` (``VTD_DEMO_DATA``), set the
    MMAction2 default scope, and generate the world there if absent."""
    from mmaction.utils import register_all_modules

    from .dataset import generate_world
    os.environ['VTD_DEMO_DATA'] = data_root
    register_all_modules(init_default_scope=True)
    return generate_world(data_root, per_class=per_class)


def variant_config(cfg: Config, variant: str) -> Config:
    """The demo config with one of :data:`VARIANTS`."""
    prompts, confidence, token = VARIANTS[variant]
    cfg = copy.deepcopy(cfg)
    head = cfg.model.cls_head
    if not prompts:
        cfg.model.backbone.n_ctx = 0
        head.text_encoder.prompt_learner = None
    head.confidence = confidence
    if not token:
        head.fusion = None
    return cfg


def with_label_set(cfg: Config, data_root: str, class_set: str, test_list: str,
                   splits=('test', )) -> Config:
    """Run the ``splits`` dataloaders with the label set ``class_set``; the
    test list is ``test_list``. The model config is left as it is: the
    LabelSetHook hands the dataset's label set to the head."""
    cfg = copy.deepcopy(cfg)
    for split in splits:
        cfg[f'{split}_dataloader'].dataset.metainfo = dict(
            classes=f'demo_world_{class_set}.txt')
    cfg.test_dataloader.dataset.ann_file = osp.join(data_root, f'{test_list}.txt')
    return cfg


def train(cfg: Config, work_dir: str, seed: int) -> str:
    """Train; returns the final checkpoint."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return osp.join(work_dir, f'epoch_{runner.max_epochs}.pth')


def evaluate(cfg: Config, work_dir: str, checkpoint: Optional[str]) -> Dict[str, float]:
    """Test metrics of ``checkpoint`` (None: the model as built, e.g. frozen CLIP)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    os.makedirs(work_dir, exist_ok=True)
    return Runner.from_cfg(cfg).test()
