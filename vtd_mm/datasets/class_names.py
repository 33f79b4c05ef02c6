"""Class-name label sets: a list, a ``.txt`` file or an ``id,name`` ``.csv`` file."""
import csv
import os
from typing import List, Sequence, Union

ClassNames = Union[str, Sequence[str]]

LABEL_DIR = os.path.join(os.path.dirname(__file__), 'labels')


def _read_txt(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _read_csv(path):
    with open(path, encoding='utf-8', newline='') as f:
        rows = [row for row in csv.reader(f) if row and any(c.strip() for c in row)]
    if rows and rows[0][0].strip().lower() == 'id':
        rows = rows[1:]
    entries = {}
    for line, row in enumerate(rows, start=1):
        if len(row) < 2 or not row[0].strip().lstrip('-').isdigit():
            raise ValueError(f'{path}: row {line} is {row!r}; expected "id,name".')
        idx = int(row[0])
        if idx in entries:
            raise ValueError(f'{path}: class id {idx} appears twice.')
        entries[idx] = ','.join(row[1:]).strip()
    if sorted(entries) != list(range(len(entries))):
        raise ValueError(f'{path}: class ids must be 0..{len(entries) - 1} '
                         'without gaps.')
    return [entries[i] for i in range(len(entries))]


def load_class_names(source: ClassNames) -> List[str]:
    """Read a label set.

    Args:
        source: a list of names, or the path of a ``.txt`` file (one name per
            line) or a ``.csv`` file with ``id,name`` rows (ViFi-CLIP's label
            files; a header row is optional). A bare file name that does not
            exist is also looked up among the label files shipped in
            ``vtd_mm/datasets/labels``.

    Returns:
        list[str]: the class names, index = class id.
    """
    if not isinstance(source, (str, os.PathLike)):
        names = [str(n) for n in source]
    else:
        path = os.fspath(source)
        if not os.path.isfile(path):
            shipped = os.path.join(LABEL_DIR, path)
            if os.path.dirname(path) == '' and os.path.isfile(shipped):
                path = shipped
            else:
                raise FileNotFoundError(
                    f'Label file not found: {path!r}. Pass a list of class names, '
                    'a .txt file with one name per line, or a .csv file with '
                    '"id,name" rows.')
        if path.lower().endswith('.csv'):
            names = _read_csv(path)
        else:
            names = _read_txt(path)
    if not names:
        raise ValueError(f'The label set {source!r} is empty.')
    return names
