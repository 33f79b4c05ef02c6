"""Train a recognizer with MMAction2's Runner (vtd_mm modules registered).

    python tools/train.py CONFIG|mmaction::CONFIG [--work-dir DIR] [--amp] [--resume [CKPT]]
                                 [--cfg-options key=value ...] [--launcher pytorch]
"""
import argparse
import os
import os.path as osp

import torch

from vtd_mm.engine import (
    ConfigError,
    KeyValueAction,
    build_runner,
    latest_checkpoint,
    load_config,
    merge_options,
    prepare_config,
    run_logged,
)
from vtd_mm.utils import WorkDirInUse, hold_work_dir, launcher_rank, missing_training_state


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a recognizer')
    p.add_argument('config', help='train config file path')
    p.add_argument('--resume', nargs='?', type=str, const='auto',
                   help='resume from the given checkpoint, or from the latest '
                   'checkpoint of the work dir when no path is given')
    p.add_argument('--amp', action='store_true',
                   help='automatic mixed precision: AmpOptimWrapper on a GPU, bf16 autocast '
                   '(AutocastOptimWrapper) on a CPU')
    p.add_argument('--no-validate', action='store_true',
                   help='do not evaluate checkpoints during training')
    p.add_argument('--auto-scale-lr', action='store_true',
                   help='scale the lr with the actual batch size')
    p.add_argument('--seed', type=int, default=None, help='random seed')
    p.add_argument('--diff-rank-seed', action='store_true',
                   help='different seeds for different ranks')
    p.add_argument('--deterministic', action='store_true',
                   help='deterministic cuDNN kernels')
    p.add_argument('--work-dir', help='the dir to save logs and models')
    p.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                   help='override config settings, key=value (merged last, as in MMAction2)')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper', 'AutocastOptimWrapper'):
            raise SystemExit(f'--amp replaces the optimizer wrapper, but the config uses '
                             f'{wrapper!r}: set its mixed precision in the config instead.')
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        else:  # mmengine's AmpOptimWrapper needs a GPU: bf16 autocast on the CPU
            cfg.optim_wrapper.type = 'AutocastOptimWrapper'
            cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    # a config without ``randomness`` (MMAction2's own) gets the flags, as
    # MMAction2's tool does; in one with it, a flag that is given wins
    flags = dict(seed=args.seed, diff_rank_seed=args.diff_rank_seed,
                 deterministic=args.deterministic)
    if cfg.get('randomness') is None:
        cfg.randomness = flags
    else:
        given = {k: v for k, v in flags.items() if v not in (None, False)}
        cfg.randomness = dict(cfg.randomness, **given)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    # as in MMAction2's tools/train.py: --cfg-options last, over every flag
    return merge_options(cfg, args.cfg_options)


def make_config(args):
    """The config a run of this tool uses."""
    try:
        cfg = merge_args(load_config(args.config), args)
        cfg = prepare_config(cfg, args.config, None, args.launcher)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    if args.resume == 'auto' and cfg.get('resume') and cfg.get('load_from') is None:
        latest = latest_checkpoint(cfg.work_dir)
        if latest is None:
            raise SystemExit(
                f'--resume: nothing to resume in {cfg.work_dir} (no last_checkpoint and no '
                'complete epoch_N.pth / iter_N.pth). Start a new run without --resume, or '
                'give the checkpoint: --resume CKPT.')
        cfg.load_from = latest
    resume_from = cfg.get('load_from') if cfg.get('resume') else None
    if resume_from and osp.isfile(resume_from):
        missing = missing_training_state(resume_from)
        if missing:
            raise SystemExit(
                f'--resume: {resume_from} has no training state ({", ".join(missing)} '
                'missing): it holds the weights alone, as a published or exported checkpoint '
                'does. Start from its weights with --cfg-options load_from=CKPT (without '
                '--resume), or resume from the run\'s own epoch_N.pth.')
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = make_config(args)
    lock = None
    if launcher_rank(args.launcher) == 0:
        try:
            lock = hold_work_dir(cfg.work_dir)
        except WorkDirInUse as err:
            raise SystemExit(str(err))
    try:
        run_logged(build_runner(cfg), 'train')
    finally:
        if lock is not None:
            lock.close()


if __name__ == '__main__':
    main()
