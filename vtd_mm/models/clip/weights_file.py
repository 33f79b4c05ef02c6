"""CLIP weights files of every supported layout, read into open_clip's layout.

Local files may be an OpenAI TorchScript archive (its tensors read as data,
:mod:`.torchscript_archive`; its code runs only with
``VTD_MM_TRUSTED_TORCHSCRIPT=1``), or a state dict in the
OpenAI / open_clip layout (optionally wrapped in ``{'state_dict': ...}``, with
a ``module.`` prefix, or in open_clip's ``text.*`` custom-text layout), saved
with ``torch.save`` or as ``.safetensors``. (open_clip's own
``load_state_dict`` reads the plain layouts too, but neither TorchScript
archives nor a training checkpoint given by mistake, and without this
package's clear errors for empty or corrupt files.)
"""
import logging
import os
import pickle
import re
import zipfile
from dataclasses import dataclass, field
from typing import Dict

import torch
from mmengine.logging import print_log

from ...utils import listed, non_finite_names, read_checkpoint
from .torchscript_archive import read_torchscript_tensors

VISUAL = 'visual'
# the opt-in to torch.jit.load, which runs an archive's code
TRUST_TORCHSCRIPT = 'VTD_MM_TRUSTED_TORCHSCRIPT'
TEXT = 'text'
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_TEXT_PREFIXES = ('token_embedding.', 'positional_embedding', 'transformer.',
                  'ln_final.', 'text_projection', 'logit_scale', 'logit_bias')


@dataclass
class TowerWeights:
    """The weights of one tower, as read from ``source``."""
    state_dict: Dict[str, torch.Tensor]
    source: str
    openai: bool  # proven an OpenAI release: TorchScript archive or OpenAI's extra keys
    arch: dict = field(default_factory=dict)
    half: bool = False  # fp16 tensors, as OpenAI ships them (a hint, not a proof)


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(re.search(r'(^|/)code/', n) for n in zf.namelist())


def read_clip_file(path: str):
    """Read a weights file. Returns (object, is_torchscript)."""
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path, device='cpu'), False
    if _is_torchscript(path):  # OpenAI's release format
        if os.environ.get(TRUST_TORCHSCRIPT) == '1':
            print_log(f'{TRUST_TORCHSCRIPT}=1: {path} is loaded with torch.jit.load, which '
                      "runs the archive's code: only for files from a source you trust.",
                      logger='current', level=logging.WARNING)
            return torch.jit.load(path, map_location='cpu').state_dict(), True
        try:
            return read_torchscript_tensors(path), True
        except (ValueError, pickle.UnpicklingError, KeyError, EOFError,
                zipfile.BadZipFile) as err:
            raise ValueError(
                f'{path} is a TorchScript archive whose weights could not be read as data '
                f'({err}). Its code is never run by default; to load it with '
                f'torch.jit.load, which runs that code, set {TRUST_TORCHSCRIPT}=1 for a '
                'file from a source you trust.') from err
    return read_checkpoint(path, 'cpu', what='CLIP weights file'), False


def normalise(obj, path: str):
    """Bring any supported layout to open_clip's CLIP layout.

    Returns:
        (state_dict, openai, half): float32 tensors; ``openai`` tells whether
        the file is recognisably an OpenAI release (trained with QuickGELU):
        OpenAI's extra keys; ``half`` whether it held fp16 weights, as
        OpenAI's releases do (an open_clip model saved in fp16 does too).
    """
    if not isinstance(obj, dict):
        raise ValueError(f'{path} holds a {type(obj).__name__}, not a state dict.')
    keys = list(obj)
    if 'model' in obj and isinstance(obj['model'], dict):
        inner = [k.replace('module.', '', 1) for k in obj['model']]
        if any(k.startswith(('prompt_learner.', 'image_encoder.', 'text_encoder.'))
               for k in inner):
            raise ValueError(
                f'{path} is a VTD / ViFi-CLIP training checkpoint, not CLIP '
                'weights. Convert it with tools/convert_checkpoint.py and load '
                'the result with load_from; pretrained= takes the CLIP weights '
                'file (e.g. ViT-B-16.pt).')
    if 'state_dict' in obj and isinstance(obj['state_dict'], dict):
        obj = obj['state_dict']
        keys = list(obj)
    if any(k.startswith(('backbone.', 'cls_head.')) for k in keys):
        raise ValueError(
            f'{path} is a vtd_mm / MMAction2 model checkpoint, not CLIP '
            'weights: load it with load_from (or tools/test.py CHECKPOINT).')
    sd = {}
    openai = half = False
    for k, v in obj.items():
        if k.startswith('module.'):
            k = k[len('module.'):]
        if k.startswith('text.'):
            k = k[len('text.'):]
        if k in _OPENAI_EXTRA_KEYS:
            openai = True
            continue
        if not torch.is_tensor(v):
            continue
        if v.dtype == torch.float16 and k.endswith('weight'):
            half = True
        sd[k] = v
    not_float = sorted(k for k, v in sd.items() if not v.is_floating_point())
    if not_float:
        dtypes = sorted({str(sd[k].dtype) for k in not_float})
        raise ValueError(
            f'{path} holds {"/".join(dtypes)} tensors ({listed(not_float)}): CLIP\'s weights '
            'are floating point; a quantised or converted file would give wrong features. '
            'Use the original CLIP weights file.')
    bad = non_finite_names(sd)
    if bad:
        raise ValueError(f'{path} holds NaN or infinite values in {listed(bad)}: the file is '
                         'damaged; use the original CLIP weights file.')
    sd = {k: v.float() for k, v in sd.items()}
    if 'visual.conv1.weight' not in sd and 'ln_final.weight' not in sd:
        raise ValueError(
            f'{path} does not look like CLIP weights in the OpenAI / open_clip '
            f'layout (no visual.conv1.weight or ln_final.weight; first keys: '
            f'{keys[:5]}).')
    return sd, openai, half


def read_clip_weights(path: str) -> Dict[str, torch.Tensor]:
    """The whole CLIP state dict of a local file, in open_clip's layout (float32)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'CLIP weights file not found: {path!r}.')
    obj, _ = read_clip_file(path)
    return normalise(obj, path)[0]
