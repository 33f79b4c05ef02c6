"""vtd_mm: VTD-CLIP and CKD for MMAction2.

Importing the package applies the compatibility fixes of :mod:`vtd_mm.compat`
(including mmengine reading local checkpoints with
:func:`vtd_mm.utils.read_checkpoint`) and registers every module into
MMAction2's registries, so a config can use it with
``custom_imports = dict(imports=['vtd_mm'])``.
"""
from . import compat

compat.apply_all()

from . import apis, datasets, engine, evaluation, models, utils, visualization  # noqa: E402,F401
from .version import __version__  # noqa: E402

compat.read_local_checkpoints_with(utils.read_checkpoint)

__all__ = ['__version__', 'apis', 'compat', 'datasets', 'engine', 'evaluation', 'models',
           'utils', 'visualization']
