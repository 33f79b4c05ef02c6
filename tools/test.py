"""Test a checkpoint with MMAction2's Runner (vtd_mm modules registered).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump results.pkl]
        [--show-dir DIR] [--show] [--interval N] [--wait-time S]
        [--cfg-options key=value ...] [--launcher pytorch]

The arguments are MMAction2's. --show-dir / --show draw every N-th test video
(--interval) as a strip of the frames of its first view, each titled with the
class name it reads as and its weight for the prediction
(FrameTokenVisualizationHook, the config's ``default_hooks.visualization``).
"""
import argparse
import os
import os.path as osp

from vtd_mm.engine import (
    ConfigError,
    KeyValueAction,
    build_runner,
    load_config,
    merge_options,
    prepare_config,
    run_logged,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Test (and eval) a recognizer')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--work-dir',
                   help='the directory to save the file containing evaluation metrics')
    p.add_argument('--dump', type=str,
                   help='dump predictions (scores, labels, frame tokens) to a pickle file')
    p.add_argument('--show-dir', help='directory where the drawn videos (PNG strips) are saved')
    p.add_argument('--show', action='store_true', help='show the drawn videos in a window')
    p.add_argument('--interval', type=int, default=1, help='draw every N-th test video')
    p.add_argument('--wait-time', type=float, default=2,
                   help='seconds each window is shown (--show)')
    p.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                   help='override config settings, key=value (merged last, as in MMAction2)')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def uses_vtd_head(model_cfg) -> bool:
    """Whether a model config (or one nested in it: a distiller's student)
    has a VTDHead."""
    if isinstance(model_cfg, dict):
        return model_cfg.get('type') == 'VTDHead' or any(
            uses_vtd_head(v) for k, v in model_cfg.items() if k != 'teacher')
    return False


def trigger_visualization_hook(cfg, args):
    """Enable ``default_hooks.visualization`` as MMAction2's test tool does.
    A config without one (MMAction2's own runtime has none, and its tool
    stops there) gets FrameTokenVisualizationHook for a VTDHead, MMAction2's
    VisualizationHook otherwise."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        kind = ('FrameTokenVisualizationHook' if uses_vtd_head(cfg.model)
                else 'VisualizationHook')
        cfg.default_hooks.visualization = dict(type=kind)
        hook = cfg.default_hooks.visualization
    hook.update(enable=True, show=args.show, wait_time=args.wait_time, out_dir=args.show_dir,
                interval=args.interval)


def merge_args(cfg, args):
    """--show / --show-dir and --dump, as in MMAction2's tool (--dump writes
    vtd_mm's predictions, frame tokens included)."""
    if args.show or args.show_dir is not None:
        trigger_visualization_hook(cfg, args)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump must be a .pkl or .pickle file')
        dump = dict(type='DumpPredictions', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluators) if isinstance(evaluators, (list, tuple))
                              else [evaluators]) + [dump]
    return cfg


def make_config(args):
    """The config a run of this tool uses, in the order of MMAction2's tool:
    the flags above, --cfg-options, then --work-dir and the checkpoint."""
    try:
        cfg = merge_args(load_config(args.config), args)
        cfg.launcher = args.launcher
        cfg = prepare_config(merge_options(cfg, args.cfg_options), args.config, args.work_dir,
                             args.launcher)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    cfg.load_from = args.checkpoint
    return cfg


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    return run_logged(build_runner(make_config(args)), 'test')


if __name__ == '__main__':
    main()
