"""Outputs of the tools: never over their own input, never over a user's
file unless asked, and written whole or not at all."""
import os
import os.path as osp
import tempfile
from typing import Callable, Iterable


class OutputRefused(ValueError):
    """An output path that would replace an input or an existing file."""


def check_output(out: str, inputs: Iterable[str] = (), overwrite: bool = False) -> None:
    """Refuse ``out`` when it is one of ``inputs`` (the same file by any
    path) or exists and ``overwrite`` is not set."""
    for path in inputs:
        same = osp.realpath(out) == osp.realpath(path) or (
            osp.exists(out) and osp.exists(path) and osp.samefile(out, path))
        if same:
            raise OutputRefused(f'{out} is the input {path}: writing there would replace '
                                'it; give another output path.')
    if osp.exists(out) and not overwrite:
        raise OutputRefused(f'{out} exists; give another path, or --overwrite to replace it.')


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then rename it to
    ``path``: a crash or a full disk leaves the old file (or none), never a
    part of the new one."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # the extension stays last: writers that choose the format by it (PNG, MP4)
    fd, tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.',
                               suffix='.part' + osp.splitext(path)[1], dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def check_list_file(path: str, what: str = 'annotation list') -> None:
    """A list read line by line must be a regular file: a FIFO would block the
    reader and a device (/dev/zero) would fill memory."""
    if not osp.exists(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    if not osp.isfile(path):
        raise ValueError(f'{what} {path} is not a regular file (a folder, a FIFO or a '
                         'device): give the path of a text file.')
