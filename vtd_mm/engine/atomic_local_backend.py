"""A local file backend whose checkpoints are written whole or not at all."""
import os
import os.path as osp
from typing import List

from mmengine.fileio import LocalBackend, register_backend

from ..utils.safe_output import write_atomically


class AtomicLocalBackend(LocalBackend):
    """mmengine's :class:`LocalBackend` with two changes for checkpoints.

    - ``put`` / ``put_text`` write a temporary file beside the target and
      rename it when complete: a save that is killed or hits a full disk
      leaves no truncated file under the checkpoint's name.
    - ``remove`` is carried out after the next complete ``put``: mmengine's
      ``CheckpointHook`` removes the oldest checkpoint (``max_keep_ckpts``) and
      the previous best one *before* it writes the new one; with this backend
      the old file stays until the new one is on disk, so an interrupted save
      always leaves a checkpoint to resume from.

    Used through the hook's ``backend_args=dict(backend='atomic_local')``
    (``configs/_base_/default_runtime.py``; ``tools/train.py`` sets it on
    configs whose checkpoint hook names no backend). Removals wait in this
    process, which is the one that writes the checkpoints.
    """

    _pending_removals: List[str] = []

    def put(self, obj: bytes, filepath) -> None:
        def write(tmp):
            with open(tmp, 'wb') as f:
                f.write(obj)
        write_atomically(str(filepath), write)
        self._remove_pending(str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)

    def remove(self, filepath) -> None:
        AtomicLocalBackend._pending_removals.append(osp.abspath(str(filepath)))

    @classmethod
    def _remove_pending(cls, written: str) -> None:
        written = osp.abspath(written)
        pending, cls._pending_removals = cls._pending_removals, []
        for path in pending:
            if path != written and osp.isfile(path):
                os.remove(path)


register_backend('atomic_local', AtomicLocalBackend)
