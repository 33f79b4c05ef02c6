"""Local checkpoint files read with clear errors.

mmengine's loader for local paths calls ``torch.load``; an empty or truncated
file then fails with a bare ``EOFError`` / ``PytorchStreamReader`` message
that names no file. :func:`read_checkpoint`, which ``import vtd_mm``
registers for local paths in place of mmengine's
(:func:`vtd_mm.compat.read_local_checkpoints_with`), reads with
``weights_only=True`` (mmengine's own globals are allow-listed by
:mod:`vtd_mm.compat`) and says which file is broken and what to do. Every
entry point that loads through mmengine uses it: the Runner's ``load_from``
and ``resume``, ``mmengine.runner.load_checkpoint``, MMAction2's
``init_recognizer``.
"""
import os
import os.path as osp
import pickle
import zipfile

import torch

from .finite import listed, non_finite_names


class CheckpointFileError(RuntimeError):
    """A checkpoint file that cannot be read."""


def read_checkpoint(filename: str, map_location=None, what: str = 'checkpoint'):
    """``torch.load(filename, weights_only=True)`` with errors that name the
    file (``what`` it is meant to be)."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{what} not found: {filename}')
    size = os.path.getsize(filename)
    if size == 0:
        raise CheckpointFileError(
            f'{what} {filename} is empty (0 bytes): the run that wrote it was '
            'probably stopped while saving, or the disk was full. Use an earlier '
            'checkpoint of the work dir (or delete this one and resume).')
    with open(filename, 'rb') as f:
        head = f.read(4)
    truncated = (f'{what} {filename} ({size} bytes) cannot be read: it is truncated '
                 '(an interrupted save or copy)')
    if not zipfile.is_zipfile(filename):
        if head.startswith(b'PK'):  # a zip archive without its end: cut short
            raise CheckpointFileError(truncated + '. Copy it again or use an earlier '
                                      'checkpoint.')
        if not head.startswith(b'\x80'):  # neither torch.save's zip nor a legacy pickle
            raise CheckpointFileError(
                f'{filename} ({size} bytes) is not a PyTorch {what} (it starts with '
                f'{head!r}): pass the right file.')
    try:
        checkpoint = torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointFileError(
            f'{what} {filename} holds Python objects that the safe loader '
            f'(weights_only=True) refuses ({str(err).splitlines()[0]}). Only load '
            'checkpoints you trust; convert foreign ones with '
            'tools/convert_checkpoint.py.') from err
    except (EOFError, RuntimeError, OSError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else ''
        raise CheckpointFileError(
            truncated + f' or not a PyTorch checkpoint ({type(err).__name__}: {first}). '
            'Copy it again or use an earlier checkpoint.') from err
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else {}
    bad = non_finite_names(state) if isinstance(state, dict) else []
    if bad:
        raise CheckpointFileError(
            f'{what} {filename} holds NaN or infinite values in {listed(bad)}: the run '
            'that wrote it diverged (a learning rate too high, fp16 overflow). Use a '
            'checkpoint from before it diverged.')
    return checkpoint


# what mmengine's Runner.resume reads besides the weights
TRAINING_STATE = ('meta', 'message_hub', 'optimizer')


def missing_training_state(filename: str) -> list:
    """The parts of :data:`TRAINING_STATE` that the local checkpoint
    ``filename`` lacks (a published or exported checkpoint holds the weights
    alone). Reads the file's index lazily (``mmap``), not its tensors; [] when
    the file cannot be read this way (the loader then names the problem)."""
    try:
        checkpoint = torch.load(filename, map_location='cpu', weights_only=True, mmap=True)
    except Exception:  # not a zip checkpoint, unreadable: read_checkpoint says why
        return []
    if not isinstance(checkpoint, dict):
        return []
    return [key for key in TRAINING_STATE if key not in checkpoint]
