"""Workarounds for known breakages of the pinned MMAction2 stack, in one place.

Each fix is small, idempotent and applied by ``import vtd_mm`` (see
:func:`apply_all`), each only where the breakage it fixes can occur (the guard
is named with each). Nothing else in the package changes third-party code.

1. ``mmaction2==1.2.0`` on PyPI lacks ``mmaction/models/localizers/drn``, so
   ``import mmaction.models`` fails. :func:`install_drn_placeholder` writes the
   missing package into site-packages (run once by ``make install``, so
   MMAction2's own tools work too);
   :func:`ensure_mmaction_importable` puts an in-memory placeholder into
   ``sys.modules`` when the files are absent (the guard: a wheel that has
   them is left alone). Building a ``DRN`` model raises.
2. ``torch>=2.6`` loads checkpoints with ``weights_only=True``; mmengine's
   checkpoints hold a ``HistoryBuffer`` with numpy arrays, which the safe
   unpickler rejects. :func:`allow_mmengine_checkpoints` allow-lists exactly
   those globals. mmengine pickles the buffer's default statistics methods as
   ``getattr(HistoryBuffer, 'min')``; ``builtins.getattr`` is therefore mapped
   to a function that only resolves those four names, never a general getattr.
   An addition to torch's allow-list (``add_safe_globals``, torch >= 2.4), not a
   change of torch: needed with every torch that loads safely.
3. ``torchrun`` on CPU: mmengine's ``init_dist('pytorch')`` calls
   ``torch.cuda.set_device`` and its DDP wrapper passes ``device_ids``.
   :func:`cpu_distributed_settings` returns the runner settings for gloo.

4. mmcv-lite warns on import that its compiled ``MultiScaleDeformableAttention``
   is missing, although nothing here uses it: that one warning is filtered.
5. mmengine imports ``pkg_resources`` to find ``mmaction::`` config bases;
   its deprecation warning is filtered (setuptools < 81 is pinned for it).
6. MMAction2's ``ColorJitter.adjust_hue`` adds a negative Python int to a
   uint8 array, an OverflowError under NumPy 2: :func:`fix_color_jitter_hue`
   replaces it by the same computation in integers, only with MMAction2 up
   to 1.2.0 and NumPy 2 or later (:func:`needs_color_jitter_fix`).
7. mmengine's loader for local checkpoint paths fails on an empty or truncated
   file with a bare ``EOFError`` that names no file: ``import vtd_mm`` replaces
   it by :func:`vtd_mm.utils.read_checkpoint` (``weights_only=True``, errors
   that name the file) through :func:`read_local_checkpoints_with`, with
   mmengine's public ``CheckpointLoader.register_scheme``; kept with every
   mmengine version, as it also refuses non-finite weights.

``importlib-metadata`` (imported but not declared by mmaction2) is a declared
dependency of this package; the two OpenCV wheels must never be uninstalled
one at a time (they share one ``cv2`` folder).
"""
import importlib.util
import os
import sys
import types
import warnings

_DRN_MODULE = 'mmaction.models.localizers.drn'
_DRN_SOURCE = '''"""Placeholder written by vtd_mm: this module is missing from the mmaction2
1.2.0 wheel (upstream ships no ``__init__.py`` in ``localizers/drn``)."""
'''
_DRN_CLASS_SOURCE = '''"""Placeholder for the DRN localizer missing from the mmaction2 1.2.0
wheel."""


class DRN:
    """Unavailable: the mmaction2 1.2.0 wheel does not ship DRN."""

    def __init__(self, *args, **kwargs):
        raise ImportError(
            'DRN is not included in the mmaction2 1.2.0 wheel from PyPI; '
            'install mmaction2 from source to use it.')
'''


def _mmaction_dir():
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mmaction2 is not installed; run `make install`.')
    return list(spec.submodule_search_locations)[0]


def install_drn_placeholder():
    """Write the missing ``localizers/drn`` package into the mmaction install.

    Returns:
        str | None: the folder written, or None if it already existed.
    """
    folder = os.path.join(_mmaction_dir(), 'models', 'localizers', 'drn')
    if os.path.exists(os.path.join(folder, 'drn.py')):
        return None
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, '__init__.py'), 'w') as f:
        f.write(_DRN_SOURCE)
    with open(os.path.join(folder, 'drn.py'), 'w') as f:
        f.write(_DRN_CLASS_SOURCE)
    return folder


def ensure_mmaction_importable():
    """Make ``import mmaction.models`` work without the DRN files on disk."""
    if _DRN_MODULE in sys.modules:
        return
    folder = os.path.join(_mmaction_dir(), 'models', 'localizers', 'drn')
    if os.path.exists(os.path.join(folder, 'drn.py')):
        return
    package = types.ModuleType(_DRN_MODULE)
    package.__path__ = []
    module = types.ModuleType(_DRN_MODULE + '.drn')
    exec(_DRN_CLASS_SOURCE, module.__dict__)
    package.drn = module
    sys.modules[_DRN_MODULE] = package
    sys.modules[_DRN_MODULE + '.drn'] = module


def _history_buffer_method(owner, name):
    """Stand-in for ``builtins.getattr`` inside weights-only loads.

    Resolves only ``HistoryBuffer.{min,max,current,mean}``, which is what
    mmengine pickles; anything else is refused.
    """
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(HistoryBuffer, name)
    import pickle
    raise pickle.UnpicklingError(
        f'Refusing getattr({owner!r}, {name!r}) while loading a checkpoint '
        'with weights_only=True.')


def allow_mmengine_checkpoints():
    """Allow-list the globals of mmengine checkpoints for ``weights_only`` loads."""
    import numpy as np
    import torch
    from mmengine.logging import HistoryBuffer
    multiarray = getattr(np, '_core', None) or np.core
    multiarray = multiarray.multiarray
    allowed = [
        HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct,
        multiarray.scalar,
        (_history_buffer_method, 'builtins.getattr'),
        (_history_buffer_method, '__builtin__.getattr'),
    ]
    allowed += [v for v in vars(np.dtypes).values()
                if isinstance(v, type) and issubclass(v, np.dtype)]
    torch.serialization.add_safe_globals(allowed)


def cpu_distributed_settings():
    """Runner settings for a ``torchrun`` run on CPU (gloo backend).

    mmengine's ``init_dist('pytorch')`` assumes CUDA. This initialises the gloo
    process group itself (so the Runner finds it initialised) and returns
    the ``model_wrapper_cfg`` that keeps DDP from passing ``device_ids``.

    Returns:
        dict: ``model_wrapper_cfg`` for the Runner.
    """
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    return dict(type='MMDistributedDataParallel', device_ids=None,
                broadcast_buffers=False)


def _adjust_hue(img, factor):
    """MMAction2's ``ColorJitter.adjust_hue`` in integer arithmetic.

    The original adds ``int(factor * 255)`` to the uint8 hue channel; under
    NumPy 2's casting rules a negative offset raises OverflowError (NumPy 1
    computed it in a wider type). Same result as NumPy 1: the hue is shifted
    modulo 180 (OpenCV's hue range).
    """
    import cv2
    import numpy as np
    img = np.clip(img, 0, 255).astype(np.uint8)
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    offset = int(factor * 255)
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + offset) % 180).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)


def needs_color_jitter_fix() -> bool:
    """Fix 6 applies to MMAction2 up to 1.2.0 (the adjust_hue that overflows)
    under NumPy 2 (NumPy 1 computed the sum in a wider type)."""
    import mmaction
    import numpy as np
    from mmengine.utils import digit_version
    return (digit_version(np.__version__) >= digit_version('2.0.0')
            and digit_version(mmaction.__version__) <= digit_version('1.2.0'))


def fix_color_jitter_hue():
    """Replace ``ColorJitter.adjust_hue`` by :func:`_adjust_hue` (fix 6),
    where :func:`needs_color_jitter_fix`."""
    if not needs_color_jitter_fix():
        return
    from mmaction.datasets.transforms.processing import ColorJitter
    ColorJitter.adjust_hue = staticmethod(_adjust_hue)


def apply_all():
    """Apply the import-time fixes 1, 2, 4, 5 and 6 (7 follows once the
    package's reader is imported: see ``vtd_mm/__init__.py``). Idempotent."""
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    # mmengine resolves ``mmaction::`` config bases with pkg_resources, whose
    # import warns that it is deprecated
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated',
                            category=UserWarning)
    ensure_mmaction_importable()
    allow_mmengine_checkpoints()
    fix_color_jitter_hue()


def read_local_checkpoints_with(reader):
    """Fix 7: mmengine reads local checkpoint paths with ``reader(filename,
    map_location)`` instead of its bare ``torch.load``. Idempotent."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=reader, force=True)

