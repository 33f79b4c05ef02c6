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


class PendingFile:
    """A file written under a temporary name beside ``path`` (the extension
    kept last, for writers that choose the format by it); :meth:`finish`
    flushes it to disk and renames it to ``path``, :meth:`discard` removes
    it. A crash or a full disk leaves the old file (or none), never a part
    of the new one."""

    def __init__(self, path: str):
        folder = osp.dirname(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.',
                                        suffix='.part' + osp.splitext(path)[1], dir=folder)
        os.close(fd)
        self.path = path

    def finish(self) -> None:
        with open(self.tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        if osp.exists(self.tmp):
            os.remove(self.tmp)


def write_atomically(path: str, write: Callable[[str], None]) -> None:
    """``write(tmp)`` into a temporary file beside ``path``, then rename it to
    ``path`` (:class:`PendingFile`)."""
    pending = PendingFile(path)
    try:
        write(pending.tmp)
        pending.finish()
    except BaseException:
        pending.discard()
        raise


def check_list_file(path: str, what: str = 'annotation list') -> None:
    """A list read line by line must be a regular file: a FIFO would block the
    reader and a device (/dev/zero) would fill memory."""
    if not osp.exists(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    if not osp.isfile(path):
        raise ValueError(f'{what} {path} is not a regular file (a folder, a FIFO or a '
                         'device): give the path of a text file.')
