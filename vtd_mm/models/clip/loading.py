"""CLIP architectures and weights, resolved in one place.

``arch`` is an open_clip model name (``'ViT-B-16'``, ``'ViT-L-14-quickgelu'``,
OpenAI spellings such as ``'ViT-B/16'`` are accepted) or a dict in open_clip's
model-config format (``embed_dim``, ``vision_cfg``, ``text_cfg``, optional
``quick_gelu``), which is how tests build tiny CLIPs.

``pretrained`` is ``None`` (random weights), a local file, or an open_clip
pretrained tag (``'openai'``, ``'laion2b_s34b_b88k'``, ...), which needs the
network. Local files may be an OpenAI TorchScript archive, or a state dict in
the OpenAI / open_clip layout (optionally wrapped in ``{'state_dict': ...}``,
with a ``module.`` prefix, or in open_clip's ``text.*`` custom-text layout),
saved with ``torch.save`` or as ``.safetensors``.

A file is read once even when both towers use it: the parsed weights are
cached per tower until each tower has taken its part (see :func:`clear_cache`).
"""
import copy
import functools
import logging
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Union

import torch
from mmengine.logging import print_log

VISUAL = 'visual'
TEXT = 'text'
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')
_TEXT_PREFIXES = ('token_embedding.', 'positional_embedding', 'transformer.',
                  'ln_final.', 'text_projection', 'logit_scale', 'logit_bias')


@dataclass(frozen=True)
class CLIPArch:
    """A CLIP architecture: open_clip's model config plus a name."""
    name: str
    embed_dim: int
    vision_cfg: dict
    text_cfg: dict
    quick_gelu: bool = False

    def as_dict(self):
        return dict(embed_dim=self.embed_dim, vision_cfg=dict(self.vision_cfg),
                    text_cfg=dict(self.text_cfg), quick_gelu=self.quick_gelu)


@dataclass
class TowerWeights:
    """The weights of one tower, as read from ``source``."""
    state_dict: Dict[str, torch.Tensor]
    source: str
    openai: bool
    arch: dict = field(default_factory=dict)


def _plain(obj):
    """ConfigDict / nested mappings -> plain dicts and lists."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def resolve_arch(arch) -> CLIPArch:
    """Turn an open_clip model name or config dict into a :class:`CLIPArch`."""
    import open_clip
    if isinstance(arch, CLIPArch):
        return arch
    if isinstance(arch, str):
        name = arch.replace('/', '-')
        cfg = open_clip.get_model_config(name)
        if cfg is None:
            raise ValueError(
                f'Unknown CLIP architecture {arch!r}. Use an open_clip model name '
                "(e.g. 'ViT-B-16', 'ViT-L-14-quickgelu'; see "
                'open_clip.list_models()) or a dict with embed_dim, vision_cfg '
                'and text_cfg.')
    elif isinstance(arch, dict):
        cfg = _plain(arch)
        name = cfg.pop('name', 'custom')
    else:
        raise TypeError(f'arch must be a model name or a dict, got {type(arch)}')
    missing = {'embed_dim', 'vision_cfg', 'text_cfg'} - set(cfg)
    if missing:
        raise ValueError(f'CLIP architecture dict lacks {sorted(missing)}.')
    return CLIPArch(name, int(cfg['embed_dim']), dict(cfg['vision_cfg']),
                    dict(cfg['text_cfg']), bool(cfg.get('quick_gelu', False)))


def infer_arch(state_dict: Dict[str, torch.Tensor]) -> dict:
    """Read the architecture off a full CLIP state dict (ViT image tower).

    Head counts follow the usual head width of 64.
    """
    sd = state_dict
    arch = {}
    if 'visual.conv1.weight' in sd:
        width, _, patch, _ = sd['visual.conv1.weight'].shape
        grid = round(math.sqrt(sd['visual.positional_embedding'].shape[0] - 1))
        layers = len({k.split('.')[3] for k in sd
                      if k.startswith('visual.transformer.resblocks.')})
        mlp = sd['visual.transformer.resblocks.0.mlp.c_fc.weight'].shape[0]
        arch['vision_cfg'] = dict(image_size=patch * grid, patch_size=patch,
                                  width=width, layers=layers,
                                  mlp_ratio=mlp / width)
        arch['embed_dim'] = sd['visual.proj'].shape[1]
    if 'ln_final.weight' in sd:
        width = sd['ln_final.weight'].shape[0]
        layers = len({k.split('.')[2] for k in sd
                      if k.startswith('transformer.resblocks.')})
        proj = sd['text_projection']
        arch['text_cfg'] = dict(
            context_length=sd['positional_embedding'].shape[0],
            vocab_size=sd['token_embedding.weight'].shape[0], width=width,
            heads=max(width // 64, 1), layers=layers)
        arch['embed_dim'] = proj.shape[-1] if proj.ndim == 2 else proj.shape[0]
    return arch


def _describe(arch: dict) -> str:
    v, t = arch.get('vision_cfg', {}), arch.get('text_cfg', {})
    parts = []
    if v:
        parts.append(f"vision width {v['width']}, {v['layers']} layers, patch "
                     f"{v['patch_size']}, image {v['image_size']}")
    if t:
        parts.append(f"text width {t['width']}, {t['layers']} layers, "
                     f"context {t['context_length']}")
    if 'embed_dim' in arch:
        parts.append(f"embed dim {arch['embed_dim']}")
    return '; '.join(parts) or 'no recognisable CLIP tower'


# ---------------------------------------------------------------- reading ---

def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(re.search(r'(^|/)code/', n) for n in zf.namelist())


def _read_clip_file(path: str):
    """Read a weights file. Returns (object, is_torchscript)."""
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path, device='cpu'), False
    if _is_torchscript(path):
        # OpenAI's release format; TorchScript archives are not pickles.
        return torch.jit.load(path, map_location='cpu').state_dict(), True
    from ...engine.checkpoint_loader import read_checkpoint
    return read_checkpoint(path, 'cpu', what='CLIP weights file'), False


def _normalise(obj, path: str):
    """Bring any supported layout to open_clip's CLIP layout.

    Returns:
        (state_dict, openai): float32 tensors; ``openai`` tells whether the file
        is recognisably an OpenAI release (trained with QuickGELU).
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
    openai = False
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
            openai = True  # OpenAI ships fp16; open_clip checkpoints are fp32
        sd[k] = v.float() if v.is_floating_point() else v
    if 'visual.conv1.weight' not in sd and 'ln_final.weight' not in sd:
        raise ValueError(
            f'{path} does not look like CLIP weights in the OpenAI / open_clip '
            f'layout (no visual.conv1.weight or ln_final.weight; first keys: '
            f'{keys[:5]}).')
    return sd, openai


def read_clip_weights(path: str) -> Dict[str, torch.Tensor]:
    """The whole CLIP state dict of a local file, in open_clip's layout (float32)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'CLIP weights file not found: {path!r}.')
    obj, _ = _read_clip_file(path)
    return _normalise(obj, path)[0]


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
            obj, jit = _read_clip_file(path)
            sd, openai = _normalise(obj, path)
            parts = {VISUAL: {}, TEXT: {}}
            for k, v in sd.items():
                if k.startswith('visual.'):
                    parts[VISUAL][k[len('visual.'):]] = v
                elif k.startswith(_TEXT_PREFIXES):
                    parts[TEXT][k] = v
            entry = dict(parts=parts, openai=openai or jit, arch=infer_arch(sd))
            self._entries[key] = entry
        state = entry['parts'].pop(tower)
        if not entry['parts']:
            del self._entries[key]
        return TowerWeights(state, path, entry['openai'], entry['arch'])

    def clear(self):
        self._entries.clear()

    def __bool__(self):
        return bool(self._entries)


_CACHE = _WeightCache()


def clear_cache():
    """Drop CLIP weights read for one tower but not yet taken by the other."""
    _CACHE.clear()


def release_unclaimed():
    """Called by each tower's forward: once a model runs it is built, so a part
    no tower took (e.g. the text weights of a CLIP file whose vision tower
    feeds a TSNHead) will never be taken; free it."""
    if _CACHE:
        _CACHE.clear()


def _looks_like_path(s: str) -> bool:
    return (os.sep in s or '/' in s or
            s.endswith(('.pt', '.pth', '.bin', '.safetensors', '.ckpt')))


def _download(arch_name: str, tag: str) -> str:
    import open_clip
    cfg = open_clip.get_pretrained_cfg(arch_name, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(arch_name)
        raise ValueError(
            f'pretrained={tag!r} is neither an existing file nor an open_clip tag '
            f'of {arch_name!r} (known tags: {tags}). Pass the path of a local '
            'CLIP weights file, a tag, or None for random weights.')
    try:
        path = open_clip.download_pretrained(cfg)
    except Exception as err:  # network errors come in many types
        raise RuntimeError(
            f'Could not download the CLIP weights {arch_name!r} / {tag!r} '
            f'({type(err).__name__}: {err}). Without network, download the file '
            'on another machine and pass its local path, e.g. '
            f"pretrained='checkpoints/{arch_name}.pt'.") from err
    if not path or not os.path.isfile(path):
        raise RuntimeError(f'Download of {arch_name!r} / {tag!r} gave no file; '
                           'pass a local CLIP weights file instead.')
    return path


def resolve_pretrained(pretrained: Optional[str], arch_name: Optional[str]):
    """``None`` | local file | open_clip tag -> local path (or None)."""
    if pretrained is None:
        return None
    pretrained = os.path.expanduser(os.fspath(pretrained))
    if os.path.isfile(pretrained):
        return pretrained
    if _looks_like_path(pretrained):
        raise FileNotFoundError(
            f'CLIP weights file not found: {pretrained!r}. Pass the path of an '
            "OpenAI archive (e.g. ViT-B-16.pt) or an open_clip state dict, an "
            "open_clip tag such as 'openai' (needs network), or None.")
    if arch_name is None:
        raise ValueError(f'pretrained={pretrained!r} is a tag; a tag needs an '
                         'open_clip model name as arch.')
    return _download(arch_name, pretrained)


def load_tower_weights(pretrained, tower: str, arch=None) -> Optional[TowerWeights]:
    """Weights of one tower (``'visual'`` or ``'text'``) from ``pretrained``."""
    arch_name = arch if isinstance(arch, str) else None
    path = resolve_pretrained(pretrained, arch_name and arch_name.replace('/', '-'))
    if path is None:
        return None
    weights = _CACHE.take(path, tower)
    if not weights.state_dict:
        raise ValueError(f'{path} holds no {tower} tower weights '
                         f'(it has: {_describe(weights.arch)}).')
    return weights


# --------------------------------------------------------------- building ---

def _unsupported(module, tower: str) -> List[str]:
    """Features of an open_clip tower that the prompted towers do not implement."""
    from open_clip.transformer import (ResidualAttentionBlock, TextTransformer,
                                       VisionTransformer)
    expected = VisionTransformer if tower == VISUAL else TextTransformer
    if not isinstance(module, expected):
        return [f'{tower} tower is {type(module).__name__}, not {expected.__name__}']
    if tower == VISUAL:
        checks = [(module.attn_pool is not None, 'attentional pooling'),
                  (module.pool_type != 'tok' or module.final_ln_after_pool,
                   f'pool_type={module.pool_type!r}'),
                  (not isinstance(module.patch_dropout, torch.nn.Identity), 'patch dropout')]
    else:
        checks = [(module.cls_emb is not None, 'class-token text tower'),
                  (module.attn_mask is None, 'no causal mask'),
                  (module.pool_type != 'argmax', f'pool_type={module.pool_type!r}')]
    checks.append((not all(type(b) is ResidualAttentionBlock
                           for b in module.transformer.resblocks), 'custom attention blocks'))
    return [name for bad, name in checks if bad]


def _load_strict(module, weights: TowerWeights, tower: str, arch: CLIPArch):
    state = dict(weights.state_dict)
    state.pop('logit_scale', None)
    state.pop('logit_bias', None)
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        details = shapes[:3] + [f'missing {k}' for k in missing[:3]] + \
            [f'unexpected {k}' for k in unexpected[:3]]
        raise ValueError(
            f'The {tower} weights in {weights.source} do not fit arch '
            f'{arch.name!r}: ' + '; '.join(details) + '. The file holds '
            f'{_describe(weights.arch)}: pass the matching arch (or arch=None '
            'to read it from the file).')
    module.load_state_dict(state, strict=True)


def _explicit_quick_gelu(arch, quick_gelu):
    """The activation the config states, or None when it states none.

    ``quick_gelu=True/False``, a ``-quickgelu`` model name or an arch dict with
    a ``quick_gelu`` key state it; a plain open_clip name (``'ViT-B-16'``)
    does not: its GELU default says nothing about the weights.
    """
    if quick_gelu is not None:
        return bool(quick_gelu)
    if isinstance(arch, CLIPArch):
        return arch.quick_gelu or None
    if isinstance(arch, str) and arch.endswith('-quickgelu'):
        return True
    if isinstance(arch, dict) and 'quick_gelu' in arch:
        return bool(arch['quick_gelu'])
    return None


def choose_activation(explicit: Optional[bool], arch: CLIPArch,
                      weights: Optional['TowerWeights'], tower: str) -> bool:
    """QuickGELU or GELU for a tower: what the config states, checked
    against what the weights file proves.

    An OpenAI TorchScript archive, OpenAI's extra keys or fp16 weights prove
    OpenAI weights, which were trained with QuickGELU: stating GELU for them
    is an error. A float32 state dict in the OpenAI / open_clip layout proves
    nothing (OpenAI's weights re-saved in fp32 look like any open_clip
    model's): with no stated choice the arch's default is used and a warning
    names it.
    """
    if weights is not None and weights.openai:
        if explicit is False:
            raise ValueError(
                f'{weights.source} holds OpenAI CLIP weights (TorchScript archive, '
                "OpenAI's extra keys or fp16 tensors), which were trained with "
                'QuickGELU, but quick_gelu=False was set: set quick_gelu=True '
                '(or leave it unset).')
        return True
    if explicit is not None:
        return explicit
    if weights is not None:
        act = 'QuickGELU' if arch.quick_gelu else 'GELU'
        print_log(
            f'{weights.source}: the file does not tell whether its weights were '
            f'trained with QuickGELU (OpenAI CLIP, also when re-saved in fp32) or '
            f'GELU (most open_clip models); the {tower} tower uses {act}, the '
            f'default of arch {arch.name!r}. State it in the config: quick_gelu=True '
            'for OpenAI weights, quick_gelu=False otherwise.',
            logger='current', level=logging.WARNING)
    return arch.quick_gelu


def build_tower(tower: str, arch, pretrained=None, quick_gelu=None):
    """Build one open_clip tower and load its weights.

    Args:
        tower: ``'visual'`` or ``'text'``.
        arch: model name, config dict, or None to infer it from ``pretrained``.
        pretrained: None, a local file or an open_clip tag.
        quick_gelu: the activation: True (QuickGELU, every OpenAI CLIP), False
            (GELU), or None to take it from the arch (``-quickgelu`` names)
            or the file (see :func:`choose_activation`).

    Returns:
        tuple: (open_clip module, :class:`CLIPArch`, :class:`TowerWeights` or
        None, quick_gelu used)
    """
    from open_clip.model import _build_text_tower, _build_vision_tower
    explicit = _explicit_quick_gelu(arch, quick_gelu)
    weights = load_tower_weights(pretrained, tower, arch)
    if arch is None:
        if weights is None:
            raise ValueError('arch=None needs a pretrained file to read it from.')
        if 'vision_cfg' not in weights.arch or 'text_cfg' not in weights.arch:
            raise ValueError(f'Cannot infer the architecture from '
                             f'{weights.source}; pass arch explicitly.')
        arch = dict(copy.deepcopy(weights.arch), name=os.path.basename(weights.source))
    arch = resolve_arch(arch)
    quick_gelu = choose_activation(explicit, arch, weights, tower)
    if tower == VISUAL:
        module = _build_vision_tower(arch.embed_dim, arch.vision_cfg, quick_gelu)
    elif tower == TEXT:
        module = _build_text_tower(arch.embed_dim, arch.text_cfg, quick_gelu)
    else:
        raise ValueError(f'tower must be {VISUAL!r} or {TEXT!r}')
    problems = _unsupported(module, tower)
    if problems:
        raise NotImplementedError(
            f'CLIP architecture {arch.name!r} is not supported by the prompted '
            f'{tower} tower ({", ".join(problems)}); use a standard CLIP ViT.')
    if weights is not None:
        _load_strict(module, weights, tower, arch)
    return module, arch, weights, quick_gelu


@functools.lru_cache(maxsize=4)
def get_tokenizer(context_length: int):
    """open_clip's BPE tokenizer (its vocabulary ships in the wheel)."""
    from open_clip.tokenizer import SimpleTokenizer
    return SimpleTokenizer(context_length=context_length)


ArchLike = Union[str, dict, CLIPArch, None]
