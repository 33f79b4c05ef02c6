"""The embedded demo: VTD-CLIP on a synthetic video world, on CPU, nothing downloaded.

    python tools/demo/run_demo.py [--seeds 0 1 2] [--data data/demo_world]
        [--work-dir work_dirs/demo]

Generates the world if absent, then trains and tests through MMAction2's
Runner (configs/demo/*.py, the shipped tiny CLIP): base-to-novel for every
variant of the comparison, fully supervised for the main ones, each tested on
the clean test clips and on copies with uninformative frames or frames of
another class, and the order-dependent subset. Prints one line per run (the
Runner's own output goes to WORK_DIR/<run>/console.log), then the tables
(also in WORK_DIR/demo_results.md) and the paths of the pictures of what the
model reads in each frame.
"""
import argparse
import json
import os
import os.path as osp
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FROZEN = 'frozen zero-shot (uniform average)'
B2N_VARIANTS = ('prompt tuning, uniform average', 'prompt tuning, confidence weights',
                'VTD-CLIP', 'VTD-CLIP + hub correction (opt-in)')
FULL_VARIANTS = ('prompt tuning, uniform average', 'VTD-CLIP',
                 'VTD-CLIP + hub correction (opt-in)')


def parse_args(argv=None):
    from vtd_mm.demo.runs import epochs_arg
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='data/demo_world',
                   help='where the world is (generated if absent)')
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--epochs', type=epochs_arg, default=None, help='override the configs\' epochs')
    p.add_argument('--variants', nargs='+', default=None,
                   help=f'base-to-novel variants (default: the frozen model and {B2N_VARIANTS})')
    p.add_argument('--full-variants', nargs='+', default=None,
                   help=f'fully supervised variants (default: {FULL_VARIANTS})')
    p.add_argument('--no-full', action='store_true', help='skip the fully supervised runs')
    p.add_argument('--no-order', action='store_true', help='skip the order-dependent subset')
    p.add_argument('--no-figures', action='store_true')
    p.add_argument('--videos-per-class', type=int, nargs=3, metavar=('TRAIN', 'VAL', 'TEST'),
                   default=None, help='a smaller world (default 10 3 8)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    from mmengine.config import Config

    from vtd_mm.demo.dataset import CONDITIONS
    from vtd_mm.demo.runs import (
        VARIANTS,
        console_to,
        prepare_world,
        slug,
        train_and_test,
        variant_config,
        with_epochs,
        with_label_set,
    )
    from vtd_mm.evaluation import harmonic_mean
    start = time.time()
    manifest = prepare_world(args.data, args.videos_per_class)
    print(f'world: {args.data} ({sum(manifest["lists"].values())} list entries); '
          f'Runner output of each run: {args.work_dir}/<run>/console.log', flush=True)

    with console_to(osp.join(args.work_dir, 'console.log')):  # mmengine's notes on the env
        b2n = Config.fromfile('configs/demo/vtd_demo_b2n.py')
        full = Config.fromfile('configs/demo/vtd_demo_full.py')
    if args.epochs:
        b2n, full = with_epochs(b2n, args.epochs), with_epochs(full, args.epochs)
    variants = args.variants or [FROZEN, *B2N_VARIANTS]
    full_variants = [] if args.no_full else (args.full_variants or list(FULL_VARIANTS))
    for name in (*variants, *full_variants):
        if name not in VARIANTS:
            raise SystemExit(f'unknown variant {name!r}; choose from {list(VARIANTS)}')
    results, checkpoints = {}, {}  # (table, variant, condition) -> list of rows

    def run(table, variant, seed):
        cfg = variant_config(b2n if table == 'b2n' else full, variant)
        cfg.test_cfg = dict(type='NamedSetsTestLoop')  # every test set of the config
        trains = VARIANTS[variant][0]
        folder = f'{slug(variant)}_{table}' + (f'_seed{seed}' if trains else '')
        wd = osp.join(args.work_dir, folder)
        t0 = time.time()
        metrics, ckpt = train_and_test(cfg, wd, seed if trains else None)
        checkpoints.setdefault((table, variant), (cfg, ckpt))
        parts = []
        for cond, (suffix, _, _) in CONDITIONS.items():
            if table == 'b2n':
                base = metrics[f'base{suffix}/acc/top1']
                novel = metrics[f'novel{suffix}/acc/top1']
                row = (base, novel, harmonic_mean(base, novel))
                parts.append(f'base {100 * base:.1f} novel {100 * novel:.1f} HM {100 * row[2]:.1f}'
                             if not suffix else f'{cond} {100 * row[2]:.1f}')
            else:
                row = (metrics[f'all{suffix}/acc/top1'], )
                parts.append(f'{cond} {100 * row[0]:.1f}' if suffix
                             else f'top-1 {100 * row[0]:.1f}')
            results.setdefault((table, variant, cond), []).append(row)
        what = 'base-to-novel' if table == 'b2n' else 'fully supervised'
        seed_text = f'seed {seed}' if trains else 'no training'
        print(f'[{time.time() - start:4.0f} s] {what} | {variant} | {seed_text} | '
              f'{time.time() - t0:3.0f} s | {parts[0]} | '
              f'{"HM" if table == "b2n" else "top-1"} with ' + ', '.join(parts[1:]), flush=True)

    for seed in args.seeds:
        for variant in variants:
            if VARIANTS[variant][0] or seed == args.seeds[0]:  # frozen: no seed
                run('b2n', variant, seed)
        for variant in full_variants:
            run('full', variant, seed)
    if not args.no_order:
        t0 = time.time()
        cfg = with_label_set(full, args.data, 'order', 'test_order', ('train', 'val', 'test'))
        cfg.train_dataloader.dataset.ann_file = osp.join(args.data, 'train_order.txt')
        cfg.val_dataloader.dataset.ann_file = osp.join(args.data, 'test_order.txt')
        metrics, _ = train_and_test(cfg, osp.join(args.work_dir, 'vtd_clip_order_seed0'),
                                    args.seeds[0])
        results[('order', 'VTD-CLIP', 'clean')] = [(metrics['acc/top1'], )]
        print(f'[{time.time() - start:4.0f} s] order-dependent subset | VTD-CLIP | seed '
              f'{args.seeds[0]} | {time.time() - t0:3.0f} s | '
              f'top-1 {100 * metrics["acc/top1"]:.1f}', flush=True)

    table = format_tables(results, variants, full_variants, args)
    elapsed = time.time() - start
    table += f'\nTotal time: {elapsed / 60:.1f} min on {os.cpu_count()} CPU cores.\n'
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'demo_results.md'), 'w') as f:
        f.write(table)
    with open(osp.join(args.work_dir, 'demo_results.json'), 'w') as f:
        json.dump({' / '.join(k): v for k, v in results.items()}, f, indent=1)
    print('\n' + table)
    if not args.no_figures:
        from vtd_mm.demo.figures import save_token_figures
        for variant, suffixes in (('VTD-CLIP', ('', '_uninformative50', '_other50')),
                                  ('VTD-CLIP + hub correction (opt-in)', ('_uninformative50', ))):
            if ('b2n', variant) in checkpoints:
                cfg, ckpt = checkpoints[('b2n', variant)]
                for path in save_token_figures(cfg, ckpt, args.data, args.work_dir,
                                               suffixes=suffixes, prefix=slug(variant)):
                    print(f'picture: {path}')
    print(f'tables: {osp.join(args.work_dir, "demo_results.md")}')
    return results


def format_tables(results, variants, full_variants, args):
    from vtd_mm.demo.dataset import CONDITIONS
    from vtd_mm.demo.runs import percent_mean_std as fmt
    seeds = ', '.join(map(str, args.seeds))
    lines = [f'Base-to-novel (trained on 16 base classes; top-1 %, mean ± std over seeds {seeds}; '
             'the frozen model has no seed)', '',
             '| test frames | method | base | novel | HM |', '|---|---|---|---|---|']
    for cond in CONDITIONS:
        for variant in variants:
            rows = results.get(('b2n', variant, cond))
            if rows:
                cols = [fmt([r[i] for r in rows]) for i in range(3)]
                lines.append(f'| {cond} | {variant} | ' + ' | '.join(cols) + ' |')
    if full_variants:
        lines += ['', f'Fully supervised (24 classes; top-1 %, mean ± std over seeds {seeds})', '',
                  '| method | ' + ' | '.join(CONDITIONS) + ' |',
                  '|---|' + '---|' * len(CONDITIONS)]
        for variant in full_variants:
            cells = (fmt([r[0] for r in results[('full', variant, cond)]]) for cond in CONDITIONS)
            lines.append(f'| {variant} | ' + ' | '.join(cells) + ' |')
    if ('order', 'VTD-CLIP', 'clean') in results:
        acc = results[('order', 'VTD-CLIP', 'clean')][0][0]
        lines += ['', f'Order-dependent subset (2 objects x moving left / right, chance 25%; '
                  f'an order-invariant model can at best tell the object, 50%): '
                  f'VTD-CLIP top-1 {100 * acc:.1f}%']
    lines += ['', 'Test frames: "uninformative N%" replaces N% of each clip by blank frames, '
              'noise or the scene without its object; "other class N%" by the frames of '
              "another class's clip.", 'Chance: base 6.3%, novel 12.5%, fully supervised 4.2%.']
    return '\n'.join(lines) + '\n'


if __name__ == '__main__':
    main()
