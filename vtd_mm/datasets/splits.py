"""K-shot training lists and base / novel label sets from full annotation
lists (:mod:`~vtd_mm.datasets.annotation_list`)."""
import os
import random
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from .annotation_list import Sample, read_annotation_list, write_annotation_list
from .class_names import ClassNames, load_class_names, write_label_file


def by_class(samples: Sequence[Sample]) -> Dict[int, List[Sample]]:
    groups: Dict[int, List[Sample]] = OrderedDict()
    for sample in samples:
        groups.setdefault(sample[1], []).append(sample)
    return OrderedDict(sorted(groups.items()))


def draw_k_shot(samples: Sequence[Sample], shots: int, seed: int,
                classes: Optional[Sequence[int]] = None) -> List[Sample]:
    """``shots`` samples of every class, drawn without replacement.

    The draw depends only on ``seed`` and on each class's samples in file
    order (one ``random.Random(seed)`` per class, keyed by the label), so a
    class's draw does not change when other classes are added or removed.

    Args:
        samples: the full list, from :func:`read_annotation_list`.
        shots: K, samples per class.
        seed: the seed of the draw.
        classes: labels to draw for (default: every label of the list).

    Returns:
        list: the K-shot list, grouped by class, in file order within a class.
    """
    if shots < 1:
        raise ValueError(f'shots must be >= 1, got {shots}.')
    groups = by_class(samples)
    wanted = list(groups) if classes is None else list(classes)
    missing = [c for c in wanted if c not in groups]
    if missing:
        raise ValueError(f'classes {missing[:5]} have no sample in the list.')
    short = {c: len(groups[c]) for c in wanted if len(groups[c]) < shots}
    if short:
        raise ValueError(f'{len(short)} classes have fewer than {shots} samples '
                         f'(label: count {dict(list(short.items())[:5])}); '
                         'use fewer shots or a larger list.')
    out = []
    for c in wanted:
        members = groups[c]
        picked = sorted(random.Random(f'{seed}-{c}').sample(range(len(members)), shots))
        out.extend(members[i] for i in picked)
    return out


def split_label_set(names: Sequence[str], num_base: Optional[int] = None,
                    seed: Optional[int] = None) -> Tuple[List[int], List[int]]:
    """Class ids of a base / novel split of a label set.

    Args:
        names: the label set.
        num_base: size of the base set (default: half, rounded up).
        seed: None takes the first ``num_base`` classes of the label set as
            base; an integer shuffles the classes with that seed first.

    Returns:
        tuple: (base ids, novel ids), each in label-set order.
    """
    count = len(names)
    num_base = (count + 1) // 2 if num_base is None else num_base
    if not 0 < num_base < count:
        raise ValueError(f'num_base must be between 1 and {count - 1}, got {num_base}.')
    order = list(range(count))
    if seed is not None:
        random.Random(seed).shuffle(order)
    base = sorted(order[:num_base])
    return base, sorted(order[num_base:])


def remap(samples: Sequence[Sample], ids: Sequence[int]) -> List[Sample]:
    """The samples of classes ``ids``, relabelled to their index in ``ids``."""
    index = {c: i for i, c in enumerate(ids)}
    return [(item, index[label]) for item, label in samples if label in index]


def make_base_novel(label_file: ClassNames, train_list: str, val_list: str, out_dir: str,
                    num_base: Optional[int] = None, split_seed: Optional[int] = None,
                    shots: int = 16, seeds: Sequence[int] = (1, 2, 3)) -> Dict[str, str]:
    """Write a base-to-novel protocol for a dataset without published splits.

    Files under ``out_dir``: ``base_labels.csv`` / ``novel_labels.csv``,
    ``base_train_{shots}shot_s{seed}.txt`` (K shots per base class, one list per
    seed), ``base_val.txt`` and ``novel_val.txt``; every list is labelled in
    the index space of its own label file.

    Returns:
        dict: name -> path of every file written.
    """
    names = load_class_names(label_file)
    train, val = read_annotation_list(train_list), read_annotation_list(val_list)
    for path, samples in ((train_list, train), (val_list, val)):
        top = max(label for _, label in samples)
        if top >= len(names):
            raise ValueError(f'{path} has label {top} but the label set has '
                             f'{len(names)} names.')
    base, novel = split_label_set(names, num_base, split_seed)
    files = dict(base_labels=os.path.join(out_dir, 'base_labels.csv'),
                 novel_labels=os.path.join(out_dir, 'novel_labels.csv'),
                 base_val=os.path.join(out_dir, 'base_val.txt'),
                 novel_val=os.path.join(out_dir, 'novel_val.txt'))
    write_label_file(files['base_labels'], [names[i] for i in base])
    write_label_file(files['novel_labels'], [names[i] for i in novel])
    write_annotation_list(files['base_val'], remap(val, base))
    write_annotation_list(files['novel_val'], remap(val, novel))
    for seed in seeds:
        key = f'base_train_{shots}shot_s{seed}'
        files[key] = os.path.join(out_dir, f'{key}.txt')
        write_annotation_list(files[key], remap(draw_k_shot(train, shots, seed, base), base))
    return files
