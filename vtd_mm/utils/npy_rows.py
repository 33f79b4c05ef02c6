"""An ``.npy`` file written row by row, whole or not at all."""
import os
import os.path as osp
import shutil
import tempfile
from typing import Tuple

import numpy as np

from .safe_output import write_atomically


class NpyRows:
    """Append rows of ``row_shape`` and ``dtype``; :meth:`close` writes
    ``path`` as a standard ``.npy`` (``np.load(path, mmap_mode='r')`` maps it)
    through a temporary file and a rename. Until then the rows wait in a
    scratch file beside ``path``, so memory does not grow with their number.
    :meth:`discard` (or an exception inside ``with``) leaves nothing."""

    def __init__(self, path: str, dtype, row_shape: Tuple[int, ...] = ()):
        self.path, self.dtype, self.row_shape = path, np.dtype(dtype), tuple(row_shape)
        folder = osp.dirname(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        fd, self._scratch = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.rows',
                                             dir=folder)
        self._file = os.fdopen(fd, 'wb')
        self.rows = 0

    def append(self, rows) -> Tuple[int, int]:
        """Append ``rows`` [n, *row_shape]; returns their (first, end) row numbers."""
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        if rows.shape[1:] != self.row_shape:
            raise ValueError(f'{self.path}: rows of shape {rows.shape[1:]}, expected '
                             f'{self.row_shape}')
        self._file.write(rows.tobytes())
        first = self.rows
        self.rows += len(rows)
        return first, self.rows

    def close(self) -> str:
        self._file.close()

        def write(tmp):
            header = dict(descr=np.lib.format.dtype_to_descr(self.dtype), fortran_order=False,
                          shape=(self.rows, *self.row_shape))
            with open(tmp, 'wb') as out, open(self._scratch, 'rb') as rows:
                np.lib.format.write_array_header_1_0(out, header)
                shutil.copyfileobj(rows, out, 1 << 24)
        try:
            write_atomically(self.path, write)
        finally:
            os.remove(self._scratch)
        return self.path

    def discard(self) -> None:
        self._file.close()
        if osp.exists(self._scratch):
            os.remove(self._scratch)

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            self.close()
        else:
            self.discard()
