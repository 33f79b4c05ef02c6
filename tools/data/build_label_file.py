"""Write an ``id,name`` label file (the format vtd_mm and ViFi-CLIP read).

    # UCF-101: from the official classInd.txt ("1 ApplyEyeMakeup"), words split
    python tools/data/build_label_file.py --class-ind ucfTrainTestlist/classInd.txt \
        data/ucf101/ucf101_labels.csv
    # HMDB-51 (or any dataset with one folder per class): sorted folder names
    python tools/data/build_label_file.py --folders data/hmdb51/videos data/hmdb51/hmdb51_labels.csv

The ids must be the labels of your annotation lists: build the label file from
the same class index the lists were made with.
"""
import argparse
import os
import re

from vtd_mm.datasets.class_names import write_label_file


def split_camel_case(name: str) -> str:
    """'ApplyEyeMakeup' -> 'Apply Eye Makeup'; underscores become spaces."""
    name = name.replace('_', ' ')
    return re.sub(r'(?<=[a-z])(?=[A-Z])', ' ', name).strip()


def from_class_ind(path):
    entries = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                idx, name = line.split(maxsplit=1)
                entries[int(idx)] = split_camel_case(name.strip())
    first = min(entries)
    return [entries[i] for i in sorted(entries)], first


def from_folders(path):
    return [split_camel_case(d) for d in sorted(os.listdir(path))
            if os.path.isdir(os.path.join(path, d))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--class-ind', help='classInd.txt with "index name" lines')
    src.add_argument('--folders', help='a directory with one sub-folder per class')
    p.add_argument('out', help='output .csv')
    args = p.parse_args(argv)
    if args.class_ind:
        names, first = from_class_ind(args.class_ind)
        print(f'{args.class_ind}: indices start at {first}, written from 0')
    else:
        names = from_folders(args.folders)
    if not names:
        raise SystemExit('no classes found')
    write_label_file(args.out, names)
    print(f'wrote {len(names)} classes to {args.out}')
    return names


if __name__ == '__main__':
    main()
