"""The process-wide cache of parsed CLIP files.

A file is read once even when both towers use it: the parsed weights are held
per tower until each tower has taken its part, or until the model is built
(:func:`release_unclaimed`: the towers' ``init_weights``, which the Runner
calls before training; :func:`vtd_mm.apis.init_recognizer`). Where neither
runs (a test-only Runner, MMAction2's ``init_recognizer``), a part that no
tower took (a CLIP vision tower with a TSNHead) is held until the next CLIP
file is read.
"""
import os

from .arch import infer_arch
from .weights_file import _TEXT_PREFIXES, TEXT, VISUAL, TowerWeights, normalise, read_clip_file


class _WeightCache:
    """Parsed CLIP files, held per tower until each tower has taken its part."""

    def __init__(self):
        self._entries = {}

    @staticmethod
    def _key(path):
        st = os.stat(path)
        return os.path.realpath(path), st.st_size, st.st_mtime_ns

    def take(self, path: str, tower: str) -> TowerWeights:
        key = self._key(path)
        entry = self._entries.get(key)
        if entry is None or tower not in entry['parts']:
            self._entries.clear()  # hold one file at a time
            obj, jit = read_clip_file(path)
            sd, openai, half = normalise(obj, path)
            parts = {VISUAL: {}, TEXT: {}}
            for k, v in sd.items():
                if k.startswith('visual.'):
                    parts[VISUAL][k[len('visual.'):]] = v
                elif k.startswith(_TEXT_PREFIXES):
                    parts[TEXT][k] = v
            entry = dict(parts=parts, openai=openai or jit, half=half, arch=infer_arch(sd))
            self._entries[key] = entry
        state = entry['parts'].pop(tower)
        if not entry['parts']:
            del self._entries[key]
        return TowerWeights(state, path, entry['openai'], entry['arch'], entry['half'])

    def clear(self):
        self._entries.clear()

    def __bool__(self):
        return bool(self._entries)


_CACHE = _WeightCache()


def clear_cache():
    """Drop CLIP weights read for one tower but not yet taken by the other."""
    _CACHE.clear()


def release_unclaimed():
    """Called once a model is built (each tower's ``init_weights``, which the
    Runner calls before training; :func:`vtd_mm.apis.init_recognizer`): a part
    no tower took (e.g. the text weights of a CLIP file whose vision tower
    feeds a TSNHead) will never be taken; free it."""
    if _CACHE:
        _CACHE.clear()
