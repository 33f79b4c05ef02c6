"""Class-name label sets: a list, a ``.txt`` file or an ``id,name`` ``.csv`` file."""
import csv
import os
import re
from typing import List, Optional, Sequence, Union

ClassNames = Union[str, Sequence[str]]

LABEL_DIR = os.path.join(os.path.dirname(__file__), 'labels')


def _read_txt(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def _read_csv(path):
    with open(path, encoding='utf-8', newline='') as f:
        return _parse_csv_rows(list(csv.reader(f)), path)


def _parse_csv_rows(rows, path):
    rows = [row for row in rows if row and any(c.strip() for c in row)]
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
        if not entries[idx]:
            raise ValueError(f'{path}: row {line} ({",".join(row)!r}) gives class {idx} '
                             'an empty name; write "id,name".')
    if sorted(entries) != list(range(len(entries))):
        raise ValueError(f'{path}: class ids must be 0..{len(entries) - 1} '
                         'without gaps.')
    return [entries[i] for i in range(len(entries))]


def _shipped(path: str):
    """The shipped label file meant by ``path`` ('x.csv' or
    '.../vtd_mm/datasets/labels/x.csv' seen from another directory), or None."""
    head, name = os.path.split(path)
    if head == '' or head.replace('\\', '/').rstrip('/').endswith('datasets/labels'):
        shipped = os.path.join(LABEL_DIR, name)
        if os.path.isfile(shipped):
            return shipped
    return None


def load_class_names(source: ClassNames) -> List[str]:
    """Read a label set.

    Args:
        source: a list of names, or the path of a ``.txt`` file (one name per
            line) or a ``.csv`` file with ``id,name`` rows (ViFi-CLIP's label
            files; a header row is optional). A bare file name that does not
            exist is also looked up among the label files shipped in
            ``vtd_mm/datasets/labels`` (so is a path into that folder
            seen from another working directory).

    Returns:
        list[str]: the class names, index = class id.
    """
    if not isinstance(source, (str, os.PathLike)):
        names = [str(n) for n in source]
    else:
        path = os.fspath(source)
        if not os.path.isfile(path):
            shipped = _shipped(path)
            if shipped is not None:
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
    empty = [i for i, n in enumerate(names) if not n.strip()]
    if empty:
        raise ValueError(f'The label set {source!r} has empty class names (ids {empty[:5]}).')
    return names


def write_label_file(path: str, names: Sequence[str]) -> None:
    """Write ``names`` as an ``id,name`` csv (the format of ViFi-CLIP's label files)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(['id', 'name'])
        writer.writerows(enumerate(names))


_CSV_ROW = re.compile(r'^\s*-?\d+\s*,')


def class_names_from_metainfo(value) -> Optional[List[str]]:
    """The label set of a dataset's ``metainfo['classes']``.

    ``metainfo=dict(classes=...)`` in a dataset config may be a list of names
    or a label file. mmengine's ``BaseDataset`` reads an existing file into
    its lines, so an ``id,name`` csv arrives as ``['id,name', '0,abseiling',
    ...]``: such lines are parsed as csv here. A path that mmengine could not
    open arrives as a string and goes through :func:`load_class_names`.

    Returns:
        list[str] | None: the names, or None when ``value`` is None.
    """
    if value is None:
        return None
    if isinstance(value, (str, os.PathLike)):
        return load_class_names(value)
    lines = [str(v) for v in value]
    body = [ln for ln in lines if ln.strip()]
    has_header = bool(body) and body[0].replace(' ', '').lower() == 'id,name'
    if body and (has_header or all(_CSV_ROW.match(ln) for ln in body)):
        return _parse_csv_rows(list(csv.reader(body)), 'metainfo classes')
    return load_class_names([ln.strip() for ln in body])
