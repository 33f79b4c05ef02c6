"""Local checkpoint files read with clear errors (mmengine's loader scheme).

mmengine's loader for local paths calls ``torch.load``; an empty or truncated
file then fails with a bare ``EOFError`` / ``PytorchStreamReader`` message
that names no file. This loader, registered for local paths in place of
mmengine's, reads with ``weights_only=True`` (mmengine's own globals are
allow-listed by :mod:`vtd_mm.compat`) and says which file is broken and
what to do. Every entry point that loads through mmengine uses it: the
Runner's ``load_from`` and ``resume``, ``mmengine.runner.load_checkpoint``,
MMAction2's ``init_recognizer``.
"""
import os
import os.path as osp
import pickle

import torch
from mmengine.runner.checkpoint import CheckpointLoader


class CheckpointFileError(RuntimeError):
    """A checkpoint file that cannot be read."""


def read_checkpoint(filename: str, map_location=None):
    """``torch.load(filename, weights_only=True)`` with errors that name the file."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    size = os.path.getsize(filename)
    if size == 0:
        raise CheckpointFileError(
            f'checkpoint {filename} is empty (0 bytes): the run that wrote it was '
            'probably stopped while saving, or the disk was full. Use an earlier '
            'checkpoint of the work dir (or delete this one and resume).')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointFileError(
            f'checkpoint {filename} holds Python objects that the safe loader '
            f'(weights_only=True) refuses: {err}. Only load checkpoints you trust; '
            'convert foreign ones with tools/convert_checkpoint.py.') from err
    except (EOFError, RuntimeError, OSError, ValueError) as err:
        raise CheckpointFileError(
            f'checkpoint {filename} ({size} bytes) cannot be read: it is truncated '
            f'(an interrupted save or copy) or not a PyTorch checkpoint '
            f'({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}). '
            'Copy it again or use an earlier checkpoint.') from err


def register_checked_loader() -> None:
    """Use :func:`read_checkpoint` for local paths in mmengine. Idempotent."""
    CheckpointLoader.register_scheme(prefixes='', loader=read_checkpoint, force=True)
