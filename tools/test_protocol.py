"""Evaluate checkpoints on the named test sets of a protocol config.

    python tools/test_protocol.py CONFIG CHECKPOINT [CHECKPOINT ...]
        [--sets NAME ...] [--metric acc/top1] [--ddof 1] [--out results.json]
        [--work-dir DIR] [--cfg-options key=value ...] [--launcher pytorch]

Prints, as markdown tables, the metric of every (checkpoint, test set), the
mean +- std of every group (over its splits, and over the checkpoints when
several are given, e.g. the 3 seeds of base-to-novel) and base / novel / HM
for every ``base...`` group with a matching ``novel...`` group. ``--out``
writes the same as JSON. Pass ``none`` as checkpoint to test the model as
built (e.g. frozen CLIP, zero-shot).
"""
import argparse
import json
import os
import os.path as osp

from mmengine.dist import get_rank

from vtd_mm.apis import evaluate_test_sets
from vtd_mm.engine import ConfigError, KeyValueAction, load_config, merge_options, prepare_config
from vtd_mm.evaluation import format_table, named_test_sets, summarize


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Evaluate checkpoints on named test sets')
    p.add_argument('config', help='protocol config (with test_sets)')
    p.add_argument('checkpoints', nargs='+', help="checkpoint files ('none': no checkpoint)")
    p.add_argument('--sets', nargs='+', help='only these test sets (by name)')
    p.add_argument('--metric', default='acc/top1', help='metric to summarise (x100)')
    p.add_argument('--ddof', type=int, default=1,
                   help='std degrees of freedom: 1 sample std (default), 0 population std')
    p.add_argument('--out', help='write the results as JSON')
    p.add_argument('--work-dir', help='the dir to save logs and models')
    p.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                   help='override config settings, key=value (merged last, as in MMAction2)')
    p.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                   help='job launcher')
    p.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = p.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    checkpoints = [None if c.lower() == 'none' else c for c in args.checkpoints]
    missing = [c for c in checkpoints if c is not None and not osp.isfile(c)]
    if missing:
        raise SystemExit(f'checkpoint not found: {missing[0]}')
    try:
        cfg = load_config(args.config)
        if args.work_dir is not None:
            cfg.work_dir = args.work_dir
        cfg = prepare_config(merge_options(cfg, args.cfg_options), args.config, None,
                             args.launcher)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    try:
        sets = named_test_sets(cfg, args.sets)
    except ValueError as e:
        raise SystemExit(f'error: {e}')
    records = evaluate_test_sets(cfg, checkpoints, sets, metric=args.metric)
    summary = summarize(records, ddof=args.ddof)
    summary.update(config=args.config, metric=args.metric,
                   checkpoints=[c or 'none' for c in checkpoints])
    if get_rank() == 0:
        print(format_table(summary, args.metric))
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(summary, f, indent=2)
            print(f'results written to {args.out}')
    return summary


if __name__ == '__main__':
    main()
