"""Checkpoints must fit the model they are loaded into.

mmengine loads checkpoints with ``strict=False`` and only prints what did not
fit, so a checkpoint of another model, or one without the learned prompts,
would leave those tensors at their initial values and still give a plausible
accuracy. The vtd_mm modules check their own part of every state dict loaded
into them instead, whichever entry point loads it (the Runner's
``load_from`` / ``resume``, ``init_recognizer``, ``load_state_dict``):

- every key under the module's prefix must belong to it (unknown keys are
  errors), with the module's shape;
- every trainable parameter and every buffer that is not a frozen CLIP weight
  must be present;
- the frozen CLIP weights of a tower may be absent (a small checkpoint,
  :mod:`vtd_mm.engine.small_checkpoint_hook`) only when this model holds the
  very CLIP weights the checkpoint was trained with: the tower loaded them
  from its ``pretrained`` file and their digest equals the one recorded in
  the checkpoint;
- the activation recorded in the checkpoint (QuickGELU / GELU) must be the
  tower's.
"""
import hashlib
import json
import logging
import os.path as osp
from typing import Dict, Iterable, Optional

import torch
from mmengine.logging import print_log

from ..utils import listed

RECORD = 'clip_weights_record'


class CheckpointMismatchError(ValueError):
    """A checkpoint that does not fit the model it is loaded into."""


def state_tensors(module: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """Parameters and persistent buffers by state-dict name (no hooks, no
    extra state), i.e. what a full state dict of ``module`` holds."""
    out = {}
    for mod_name, mod in module.named_modules():
        pre = f'{mod_name}.' if mod_name else ''
        for name, p in mod._parameters.items():
            if p is not None:
                out[pre + name] = p
        for name, b in mod._buffers.items():
            if b is not None and name not in mod._non_persistent_buffers_set:
                out[pre + name] = b
    return out


def check_keys(module: torch.nn.Module, state_dict: dict, prefix: str,
               own: Dict[str, torch.Tensor], delegated: Iterable[str] = (),
               may_be_absent: Iterable[str] = ()) -> Dict[str, torch.Tensor]:
    """Check the part of ``state_dict`` under ``prefix`` against ``own``.

    Args:
        module: the module loading (named in messages).
        state_dict: the state dict being loaded (full names).
        prefix: the module's prefix in it.
        own: the module's tensors by local name (see :func:`state_tensors`).
        delegated: local name prefixes checked by a submodule of ours.
        may_be_absent: local names the caller decides about.

    Returns:
        dict: the checkpoint's tensors by local name (delegated and the
        CLIP weights record left out).
    """
    delegated = tuple(delegated)
    what = f'{type(module).__name__} ({prefix.rstrip(".") or "model"})'
    present = {k[len(prefix):]: v for k, v in state_dict.items()
               if k.startswith(prefix) and not k[len(prefix):].startswith(delegated)
               and k[len(prefix):] != RECORD}
    mine = {k: v for k, v in own.items() if not k.startswith(delegated)}
    unknown = set(present) - set(mine)
    if unknown:
        raise CheckpointMismatchError(
            f'The checkpoint does not fit {what}: it holds {len(unknown)} unknown '
            f'keys under {prefix!r} ({listed(sorted(prefix + k for k in unknown))}). It '
            'was written by another model (e.g. a TSN / ResNet recognizer) or '
            'another head; load a checkpoint of this config, or convert it '
            '(tools/convert_checkpoint.py for the authors\' VTD / ViFi-CLIP code).')
    shapes = [f'{prefix}{k}: checkpoint {tuple(v.shape)} vs model {tuple(mine[k].shape)}'
              for k, v in present.items() if tuple(v.shape) != tuple(mine[k].shape)]
    if shapes:
        raise CheckpointMismatchError(
            f'The checkpoint does not fit {what}: ' + '; '.join(shapes[:5]) +
            '. It was trained with other settings (prompt n_ctx / depth, class '
            'count, widths): use the config it was trained with.')
    missing = set(mine) - set(present) - set(may_be_absent)
    if missing:
        raise CheckpointMismatchError(
            f'The checkpoint does not fit {what}: it lacks '
            f'{listed(sorted(prefix + k for k in missing))}, which this model learns. '
            'It was trained without them (e.g. no prompts, another fusion '
            'setting) or written by another model; use the config it was '
            'trained with.')
    return present


def tensors_digest(tensors: Dict[str, torch.Tensor]) -> str:
    """SHA-256 of named tensors (names, shapes, float32 values)."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach()
        t = (t.float() if t.is_floating_point() else t).cpu().contiguous().reshape(-1)
        digest.update(f'{name}|{t.dtype}|{tuple(t.shape)}|'.encode())
        if t.numel():
            digest.update(t.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def encode_record(record: dict) -> torch.Tensor:
    """A small dict as a uint8 tensor (JSON): state dicts hold tensors only
    (mmengine broadcasts and moves every entry as a tensor)."""
    return torch.tensor(list(json.dumps(record, sort_keys=True).encode()), dtype=torch.uint8)


def decode_record(tensor: Optional[torch.Tensor]) -> dict:
    return {} if tensor is None else json.loads(bytes(tensor.tolist()).decode())


class FrozenCLIPTowerState:
    """Mixin of the CLIP towers: what their checkpoints record and require.

    The tower module is ``getattr(self, self.clip_attr)``. The state dict of
    the module gets a ``clip_weights_record`` entry (see
    :func:`encode_record`): ``quick_gelu`` (the activation), ``clip_file``
    (the name of the file the CLIP weights came from) and ``clip_sha256``
    (digest of the frozen CLIP weights, None when they train).

    A frozen tower whose CLIP weights came from neither a file nor a loaded
    checkpoint (built with ``pretrained=None``, as MMAction2's
    ``init_recognizer`` builds the backbone, and no full checkpoint loaded)
    says so, as a warning, when it is put in eval mode to predict.
    """

    clip_attr = 'visual'

    def _init_clip_state(self, weights, quick_gelu: bool, freeze_clip: bool):
        self.quick_gelu = bool(quick_gelu)
        self.clip_file: Optional[str] = None if weights is None else weights.source
        self.freeze_clip = freeze_clip
        self._digest = (None, None)
        self._clip_loaded = False  # from a checkpoint
        self._said_random = False

    def clip_tensors(self) -> Dict[str, torch.Tensor]:
        return state_tensors(getattr(self, self.clip_attr))

    def clip_digest(self) -> str:
        """Digest of the CLIP weights held now (cached while they do not change)."""
        tensors = self.clip_tensors()
        version = tuple((t._version, t.data_ptr()) for t in tensors.values())
        if self._digest[0] != version:
            self._digest = (version, tensors_digest(tensors))
        return self._digest[1]

    def clip_record(self) -> dict:
        return dict(quick_gelu=self.quick_gelu,
                    clip_file=self.clip_file and osp.basename(self.clip_file),
                    clip_sha256=self.clip_digest() if self.freeze_clip else None)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + RECORD] = encode_record(self.clip_record())

    def _activation_name(self, quick_gelu) -> str:
        return 'QuickGELU' if quick_gelu else 'GELU'

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        self.check_checkpoint(state_dict, prefix)
        self._clip_loaded |= any(k.startswith(f'{prefix}{self.clip_attr}.') for k in state_dict)
        state_dict.pop(prefix + RECORD, None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def train(self, mode: bool = True):
        if not mode and self.freeze_clip and self.clip_file is None and not (
                self._clip_loaded or self._said_random):
            self._said_random = True
            tower = 'vision' if self.clip_attr == 'visual' else 'text'
            print_log(
                f'{type(self).__name__}: the frozen CLIP {tower} weights are random: it was '
                "built with pretrained=None (MMAction2's init_recognizer sets "
                'backbone.pretrained=None) and no checkpoint holding them was loaded, so '
                'its features mean nothing. Build the model with '
                'vtd_mm.apis.init_recognizer(config, checkpoint), which keeps the CLIP file of '
                'the config, or load a full checkpoint (tools/publish_checkpoint.py).',
                logger='current', level=logging.WARNING)
        return super().train(mode)

    def check_checkpoint(self, state_dict: dict, prefix: str) -> None:
        """Raise :class:`CheckpointMismatchError` unless ``state_dict`` fits;
        fill in the frozen CLIP weights a small checkpoint leaves out."""
        own = state_tensors(self)
        clip = {k for k in own if k.startswith(self.clip_attr + '.')}
        frozen = clip if self.freeze_clip else set()
        present = check_keys(self, state_dict, prefix, own, may_be_absent=frozen)
        record = decode_record(state_dict.get(prefix + RECORD))
        tower = 'vision' if self.clip_attr == 'visual' else 'text'
        what = f'{type(self).__name__} ({prefix.rstrip(".")})'
        if 'quick_gelu' in record and bool(record['quick_gelu']) != self.quick_gelu:
            raise CheckpointMismatchError(
                f'The checkpoint was made with {self._activation_name(record["quick_gelu"])} '
                f'in the CLIP {tower} tower, but {what} uses '
                f'{self._activation_name(self.quick_gelu)}: set quick_gelu='
                f'{bool(record["quick_gelu"])} for both towers in the config.')
        absent = frozen - set(present)
        if not absent:
            return
        if absent != frozen:
            raise CheckpointMismatchError(
                f'The checkpoint holds only part of the CLIP {tower} weights of {what} '
                f'(it lacks {listed(sorted(prefix + k for k in absent))}): it is damaged or '
                'from another architecture.')
        expected = record.get('clip_sha256')
        needed = record.get('clip_file') or 'the CLIP weights it was trained with'
        if self.clip_file is None:
            raise CheckpointMismatchError(
                f'The checkpoint leaves out the frozen CLIP {tower} weights (a small '
                f'checkpoint; it needs {needed}), but {what} was built with '
                'pretrained=None, i.e. random CLIP weights. Set pretrained to that '
                'CLIP file in the config (MMAction2\'s init_recognizer clears '
                'backbone.pretrained: build the model with the config unchanged), '
                'or use a full checkpoint (tools/publish_checkpoint.py).')
        if expected is None or expected != self.clip_digest():
            raise CheckpointMismatchError(
                f'The checkpoint leaves out the frozen CLIP {tower} weights and was '
                f'trained with {needed} (sha256 {str(expected)[:12]}...), but {what} '
                f'loaded other weights from {self.clip_file} (sha256 '
                f'{self.clip_digest()[:12]}...). Point pretrained to the CLIP file '
                'the checkpoint was trained with.')
        for k in absent:  # the same weights: nothing missing to report
            state_dict[prefix + k] = own[k]
