"""MMAction2's annotation lists, read with the line of every error named.

One sample per line: ``path label`` for videos (``dir frames label`` for raw
frames), the label an integer, the last field; a path may hold spaces (the
label is split off the end). Multi-label lists (``path l1 l2 ...``) split on
the delimiter. ViFi-CLIP's public split files have this format.
"""
from typing import List, NamedTuple, Sequence, Tuple

from ..utils import check_list_file, write_atomically

Sample = Tuple[str, int]  # (line without the label, label)


class AnnotationEntry(NamedTuple):
    number: int   # line number, from 1
    line: str     # the line as written, without its end
    item: str     # the line without its label(s): the video's path
    label: object  # int; a list of ints in a multi-label list


def _int(text: str) -> int:
    return int(text) if text.lstrip('-').isdigit() else None


def annotation_entries(path: str, multi_class: bool = False, delimiter: str = ' ',
                       labels_optional: bool = False) -> List[AnnotationEntry]:
    """The non-blank lines of a list, parsed.

    Args:
        path: the list.
        multi_class: ``path l1 l2 ...``, split on ``delimiter``.
        delimiter: what separates the fields of a multi-label line, or the
            label from the path (a path may hold it: the label is split off
            the end).
        labels_optional: a line whose last field is not an integer is a path
            alone (label -1), as in a list of videos to run inference on.

    Raises:
        ValueError: naming the file, the line and what it should be, or that
            the list is empty; :func:`~vtd_mm.utils.check_list_file`'s errors
            for a path that is not a text file.
    """
    check_list_file(path)
    entries = []
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().split('\n')
    except UnicodeDecodeError as err:
        raise ValueError(f'{path} is not a text list (not UTF-8: {err.reason} at byte '
                         f'{err.start}).') from None
    sep = None if delimiter == ' ' else delimiter  # ' ': any run of spaces or tabs
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if multi_class:
            fields = text.split(sep)
            labels = [_int(x) for x in fields[1:]]
            if not labels or None in labels:
                raise ValueError(f'{path}: line {number} is {line!r}; expected "path label '
                                 'label ..." with integer labels (a multi-label list: the path '
                                 'cannot hold the delimiter).')
            entries.append(AnnotationEntry(number, line, fields[0], labels))
            continue
        fields = text.rsplit(sep, 1)
        label = _int(fields[-1].strip()) if len(fields) == 2 else None
        if label is None and labels_optional:
            entries.append(AnnotationEntry(number, line, text, -1))
            continue
        if label is None:  # MMAction2 reads a lone path as label -1: not for training or testing
            raise ValueError(f'{path}: line {number} is {line!r}; expected "path label" with '
                             "the class's id in the label file (an integer) last.")
        entries.append(AnnotationEntry(number, line, fields[0].strip(), label))
    if not entries:
        raise ValueError(f'{path}: the annotation list has no entries (one "path label" per '
                         'line).')
    return entries


def read_annotation_list(path: str) -> List[Sample]:
    """The ``(path, label)`` samples of a ``path label`` list, in file order."""
    return [(e.item, e.label) for e in annotation_entries(path)]


def write_annotation_list(path: str, samples: Sequence[Sample]) -> None:
    """Write ``path label`` lines whole (through a temporary file)."""
    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            f.writelines(f'{item} {label}\n' for item, label in samples)
    write_atomically(path, write)
