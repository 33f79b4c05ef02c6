"""CLIP architectures: open_clip model names or config dicts, and reading one
off a state dict.

``arch`` is an open_clip model name (``'ViT-B-16'``, ``'ViT-L-14-quickgelu'``,
OpenAI spellings such as ``'ViT-B/16'`` are accepted) or a dict in open_clip's
model-config format (``embed_dim``, ``vision_cfg``, ``text_cfg``, optional
``quick_gelu``), which is how tests build tiny CLIPs.
"""
import math
from dataclasses import dataclass
from typing import Dict

import torch


@dataclass(frozen=True)
class CLIPArch:
    """A CLIP architecture: open_clip's model config plus a name."""
    name: str
    embed_dim: int
    vision_cfg: dict
    text_cfg: dict
    quick_gelu: bool = False


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


def describe_arch(arch: dict) -> str:
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

