"""Runner set-up shared by the train, test and protocol tools: work dir,
launcher, effective batch, the runner type and logged errors."""
import argparse
import logging
import os
import os.path as osp
import re
import zipfile

import torch
from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.utils import get_installed_path

from ..compat import cpu_distributed_settings
from .config_checks import check_batch_sizes, check_hook_types, read_config


def world_size(launcher: str) -> int:
    if launcher == 'none':
        return 1
    if launcher == 'slurm':
        return int(os.environ.get('SLURM_NTASKS', 1))
    return int(os.environ.get('WORLD_SIZE', 1))


def hold_effective_batch(cfg, launcher: str):
    """Keep ``effective_batch_size`` on any number of GPUs.

    With ``effective_batch_size = B``, ``W`` processes and ``b`` clips per
    process, gradients are accumulated over ``B / (W * b)`` iterations. When
    that is not a whole number, the learning rate is scaled linearly instead
    (``auto_scale_lr`` with ``base_batch_size = B``).
    """
    target = cfg.get('effective_batch_size')
    if not target or cfg.get('train_dataloader') is None:
        return cfg
    if cfg.optim_wrapper.get('accumulative_counts', 1) != 1:
        return cfg  # set by the user
    per_step = world_size(cfg.launcher) * cfg.train_dataloader.batch_size
    if target % per_step == 0:
        counts = target // per_step
        if counts > 1:
            cfg.optim_wrapper.accumulative_counts = counts
        print_log(f'effective batch {target} = {per_step} clips per step x '
                  f'{counts} accumulated steps', logger='current')
        scale = cfg.get('auto_scale_lr') or {}
        if scale.get('enable') and scale.get('base_batch_size') != per_step:
            # mmengine scales by (GPUs x clips per GPU) / base_batch_size and
            # does not see the accumulation: the lr would be corrected twice
            cfg.auto_scale_lr.base_batch_size = per_step
            print_log(f'auto_scale_lr: the effective batch is held at {target} by '
                      'accumulation, so the learning rate is not scaled',
                      logger='current')
    else:
        cfg.auto_scale_lr = dict(enable=True, base_batch_size=target)
        print_log(f'effective batch {target} is not a multiple of {per_step} '
                  'clips per step: scaling the learning rate instead',
                  logger='current', level=logging.WARNING)
    return cfg


class KeyValueAction(DictAction):
    """mmengine's ``DictAction`` (``--cfg-options key=value ...``) with an
    argparse error for an item without '=' (mmengine fails with 'not enough
    values to unpack')."""

    def __call__(self, parser, namespace, values, option_string=None):
        bad = [v for v in values if '=' not in v]
        if bad:
            raise argparse.ArgumentError(
                self, f'expects key=value items, got {bad[0]!r} (e.g. '
                f'{bad[0]}=VALUE; quote values with spaces)')
        super().__call__(parser, namespace, values, option_string)


PACKAGE_CONFIG_SCOPES = ('mmaction',)


def load_config(path: str):
    """A config file, or one of MMAction2's as its tools and ``_base_`` name
    them: ``mmaction::recognition/tsn/tsn_...py`` (the installed package's
    copy)."""
    scope, sep, rel = path.partition('::')
    if sep:
        if scope not in PACKAGE_CONFIG_SCOPES:
            raise SystemExit(f'{path}: configs of installed packages are named '
                             f'mmaction::PATH; {scope!r} is not one of them.')
        path = osp.join(get_installed_path(scope), '.mim', 'configs', rel)
        if not osp.isfile(path):
            raise SystemExit(f'{scope}::{rel} is not a config of the installed {scope} '
                             f'(looked for {path}).')
    return read_config(path)


def latest_checkpoint(work_dir: str):
    """The checkpoint to resume from in ``work_dir``: the one ``last_checkpoint``
    names when it exists, else the newest complete ``epoch_N.pth`` /
    ``iter_N.pth`` (a copied folder, a run killed before it wrote
    ``last_checkpoint``); None when there is none. A file cut short by an
    interrupted save is not a complete zip and is passed over."""
    if not osp.isdir(work_dir):
        return None
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip()
        if named and osp.isfile(named) and zipfile.is_zipfile(named):
            return named
    found = []
    for name in os.listdir(work_dir):
        match = re.fullmatch(r'(epoch|iter)_(\d+)\.pth', name)
        path = osp.join(work_dir, name)
        if match and zipfile.is_zipfile(path):
            found.append((int(match.group(2)), osp.getmtime(path), path))
    return max(found)[2] if found else None


def build_runner(cfg):
    """The Runner of ``cfg``: ``runner_type`` when the config names one (built
    from mmengine's RUNNERS registry, as MMAction2's tools do), else mmengine's
    :class:`Runner`."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def run_logged(runner, action: str):
    """``runner.train()`` / ``runner.test()``; an error that stops the run is
    also written to the work dir's log (mmengine leaves it to stderr only)."""
    try:
        return getattr(runner, action)()
    except Exception as err:
        runner.logger.error(f'{action} stopped: {type(err).__name__}: {err}')
        raise


def drop_collate_scope(cfg):
    """mmengine marks every ``type`` dict of a base read from a package
    (``mmaction::...``) with ``_scope_``; the Runner passes a ``collate_fn``
    dict's keys on to the function, which refuses ``_scope_`` (MMAction2's
    MViT and UniFormerV2 configs name ``repeat_pseudo_collate``). A function
    is looked up in the default scope anyway."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if isinstance(loader, dict) and isinstance(loader.get('collate_fn'), dict):
            loader.collate_fn.pop('_scope_', None)
    return cfg


def atomic_checkpoints(cfg):
    """Checkpoints written whole (:class:`AtomicLocalBackend`) by a
    ``CheckpointHook`` that names no storage backend and saves locally."""
    hook = cfg.get('default_hooks', {}).get('checkpoint')
    if (isinstance(hook, dict) and hook.get('type') in ('CheckpointHook', None)
            and hook.get('backend_args') is None and hook.get('file_client_args') is None
            and '://' not in str(hook.get('out_dir') or '')):
        hook.backend_args = dict(backend='atomic_local')
    return cfg


def prepare_config(cfg, config_path: str, work_dir=None, launcher: str = 'none'):
    """Checks (batch sizes, hook names), work dir, launcher, CPU distributed
    settings, the effective batch, whole checkpoints
    (:func:`atomic_checkpoints`) and the ``collate_fn`` of configs inherited
    from MMAction2's (:func:`drop_collate_scope`)."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config_path.rpartition('::')[2]))[0]
        cfg.work_dir = osp.join('./work_dirs', name)
    cfg.launcher = launcher
    check_batch_sizes(cfg)
    check_hook_types(cfg)
    if launcher == 'pytorch' and not torch.cuda.is_available():
        cfg.model_wrapper_cfg = cpu_distributed_settings()
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    return hold_effective_batch(atomic_checkpoints(drop_collate_scope(cfg)), launcher)
