"""Few-shot lists and base / novel splits for datasets without published ones.

    # K-shot training lists: K samples per class, one list per K and seed
    python tools/data/make_protocol_splits.py kshot data/mydata/train.txt \
        --shots 2 4 8 16 --seeds 1 2 3 --out-dir data/mydata/few_shot

    # base-to-novel: split the label set, 16 shots per base class for 3 seeds,
    # base / novel validation lists relabelled to their own label files
    python tools/data/make_protocol_splits.py base-novel data/mydata/labels.csv \
        data/mydata/train.txt data/mydata/val.txt --out-dir data/mydata/base2novel

Lists are MMAction2 "path label" files. The same arguments always give the same
files. For Kinetics-400, HMDB-51, UCF-101 and SSv2 use the published splits of
ViFi-CLIP instead (docs/protocols.md), so that results compare with the papers.
"""
import argparse
import os.path as osp

from vtd_mm.datasets.splits import (draw_k_shot, make_base_novel,
                                    read_annotation_list, write_annotation_list)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    k = sub.add_parser('kshot', help='draw K samples per class from a list')
    k.add_argument('ann_file', help='full training list ("path label")')
    k.add_argument('--shots', type=int, nargs='+', default=[2, 4, 8, 16])
    k.add_argument('--seeds', type=int, nargs='+', default=[1])
    k.add_argument('--out-dir', required=True)
    b = sub.add_parser('base-novel', help='split a label set into base / novel')
    b.add_argument('label_file', help='label set (.txt or id,name .csv)')
    b.add_argument('train_list', help='full training list')
    b.add_argument('val_list', help='full validation list')
    b.add_argument('--num-base', type=int, help='base classes (default: half, rounded up)')
    b.add_argument('--split-seed', type=int,
                   help='shuffle the classes with this seed before splitting '
                        '(default: the first classes of the label set are base)')
    b.add_argument('--shots', type=int, default=16)
    b.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3])
    b.add_argument('--out-dir', required=True)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.command == 'kshot':
            samples = read_annotation_list(args.ann_file)
            stem = osp.splitext(osp.basename(args.ann_file))[0]
            files = {}
            for shots in args.shots:
                for seed in args.seeds:
                    path = osp.join(args.out_dir, f'{stem}_{shots}shot_s{seed}.txt')
                    write_annotation_list(path, draw_k_shot(samples, shots, seed))
                    files[f'{shots} shots, seed {seed}'] = path
        else:
            files = make_base_novel(args.label_file, args.train_list, args.val_list,
                                    args.out_dir, args.num_base, args.split_seed,
                                    args.shots, args.seeds)
    except (OSError, ValueError) as e:
        raise SystemExit(f'error: {e}')
    for name, path in files.items():
        with open(path, encoding='utf-8') as f:
            lines = sum(1 for _ in f)
        print(f'{name}: {path} ({lines} lines)')
    return files


if __name__ == '__main__':
    main()
