"""Test a checkpoint with MMAction2's Runner (vtd_mm modules registered).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump results.pkl]
                                           [--cfg-options key=value ...] [--launcher pytorch]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


import vtd_mm  # noqa: E402,F401
from vtd_mm.engine import (add_common_args, build_runner, load_config,  # noqa: E402
                           prepare_config, run_logged)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Test (and eval) a recognizer')
    p.add_argument('config', help='test config file path')
    p.add_argument('checkpoint', help='checkpoint file')
    p.add_argument('--dump', type=str,
                   help='dump predictions (scores, labels, frame tokens) to a pickle file')
    return add_common_args(p).parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint not found: {args.checkpoint}')
    cfg = prepare_config(load_config(args), args.config, args.work_dir, args.launcher)
    cfg.load_from = args.checkpoint
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump must be a .pkl or .pickle file')
        dump = dict(type='DumpPredictions', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluators) if isinstance(evaluators, (list, tuple))
                              else [evaluators]) + [dump]
    return run_logged(build_runner(cfg), 'test')


if __name__ == '__main__':
    main()
