"""CLIP's two towers (ViT image tower, causal text tower) as vtd_mm's own modules.

Built from an open_clip model config (:class:`~.arch.CLIPArch`), with the
state-dict names of CLIP's files, so that OpenAI and open_clip weights load
one to one. What a config asks for beyond the standard CLIP ViT (attentional
pooling, a timm or Hugging Face tower, QK-norm, ...) is refused by name
(:func:`unsupported_options`) rather than built differently.
"""
from typing import List

import torch
import torch.nn as nn

from .arch import CLIPArch
from .blocks import LayerNorm, Transformer
from .weights_file import VISUAL

# Options of open_clip's tower configs with the value that gives the standard
# CLIP tower; any other value asks for something these towers do not build.
_STANDARD_VISION = dict(
    patch_dropout=0.0, attentional_pool=False, no_ln_pre=False, pos_embed_type='learnable',
    final_ln_after_pool=False, pool_type='tok', act_kwargs=None, block_type=None,
    qk_norm=False, scaled_cosine_attn=False, scale_heads=False, scale_attn_inner=False,
    scale_attn=False, scale_fc=False, timm_model_name=None)
_STANDARD_TEXT = dict(
    hf_tokenizer_name=None, tokenizer_mode=None, tokenizer_kwargs=None, embed_cls=False,
    no_causal_mask=False, final_ln_after_pool=False, pool_type='argmax', proj_type='linear',
    act_kwargs=None, block_type=None, qk_norm=False, scaled_cosine_attn=False,
    scale_heads=False, scale_attn_inner=False, scale_attn=False, scale_fc=False,
    hf_model_name=None)
# Built from these (with open_clip's defaults where absent).
_SIZES_VISION = ('layers', 'width', 'head_width', 'mlp_ratio', 'patch_size', 'image_size',
                 'ls_init_value', 'norm_kwargs')
_SIZES_TEXT = ('context_length', 'vocab_size', 'width', 'heads', 'layers', 'mlp_ratio',
               'ls_init_value', 'norm_kwargs', 'proj_bias')
# Read only by parts these towers refuse above, or by nothing at all here.
_INERT = ('output_tokens', 'attn_pooler_queries', 'attn_pooler_heads', 'timm_model_pretrained',
          'timm_pool', 'timm_proj', 'timm_proj_bias', 'timm_drop', 'timm_drop_path',
          'pad_id', 'eos_id', 'hf_model_pretrained', 'hf_proj_type', 'hf_pooler_type')


def unsupported_options(cfg: dict, tower: str) -> List[str]:
    """``key=value`` of every option in an open_clip tower config (``'visual'``
    or ``'text'``) that asks for more than the standard CLIP tower."""
    standard = _STANDARD_VISION if tower == VISUAL else _STANDARD_TEXT
    sizes = _SIZES_VISION if tower == VISUAL else _SIZES_TEXT
    problems = []
    for key, value in cfg.items():
        if key == 'layers' and isinstance(value, (list, tuple)):
            problems.append(f'{key}={value!r} (a ModifiedResNet image tower)')
        elif key in standard:
            if value != standard[key]:
                problems.append(f'{key}={value!r}')
        elif key == 'norm_kwargs':
            if value and set(value) - {'eps'}:
                problems.append(f'{key}={value!r}')
        elif key not in sizes and key not in _INERT:
            problems.append(f'{key}={value!r} (an option vtd_mm does not know)')
    return problems


def _eps(cfg: dict) -> float:
    return float((cfg.get('norm_kwargs') or {}).get('eps', 1e-5))


class VisionTower(nn.Module):
    """CLIP's ViT image tower: patches + class token + positions, ``ln_pre``,
    the blocks, ``ln_post`` of the class token, ``proj``.

    The prompted forward pass is :class:`~.vision.CLIPVisionBackbone`'s;
    this module holds the weights and the sizes.
    """

    def __init__(self, arch: CLIPArch, quick_gelu: bool):
        super().__init__()
        cfg = arch.vision_cfg
        width, patch = int(cfg.get('width', 768)), int(cfg.get('patch_size', 16))
        size = cfg.get('image_size', 224)
        self.image_size = tuple(size) if isinstance(size, (list, tuple)) else (size, size)
        if self.image_size[0] % patch or self.image_size[1] % patch:
            raise ValueError(f'image_size {self.image_size} is not a multiple of '
                             f'patch_size {patch}.')
        grid = (self.image_size[0] // patch) * (self.image_size[1] // patch)
        self.output_dim = arch.embed_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(width))
        self.positional_embedding = nn.Parameter(torch.empty(grid + 1, width))
        self.ln_pre = LayerNorm(width, eps=_eps(cfg))
        heads = width // int(cfg.get('head_width', 64))
        self.transformer = Transformer(
            width, int(cfg.get('layers', 12)), heads, mlp_ratio=float(cfg.get('mlp_ratio', 4.0)),
            quick_gelu=quick_gelu, ls_init_value=cfg.get('ls_init_value'), eps=_eps(cfg))
        self.ln_post = LayerNorm(width, eps=_eps(cfg))
        self.proj = nn.Parameter(torch.empty(width, arch.embed_dim))
        self.reset_parameters()

    def reset_parameters(self):
        """Random weights (a tower built without a CLIP file)."""
        width = self.conv1.out_channels
        scale = width ** -0.5
        nn.init.normal_(self.class_embedding, std=scale)
        nn.init.normal_(self.positional_embedding, std=scale)
        nn.init.normal_(self.proj, std=scale)
        layers = len(self.transformer.resblocks)
        self.transformer.reset_parameters(
            attn_std=scale, proj_std=scale * (2 * layers) ** -0.5, fc_std=(2 * width) ** -0.5)


class TextTower(nn.Module):
    """CLIP's causal text tower: token + position embeddings, the blocks,
    ``ln_final`` at the EOS token, ``text_projection``.

    The prompted forward pass is :class:`~.text.CLIPTextEncoder`'s.
    """

    def __init__(self, arch: CLIPArch, quick_gelu: bool):
        super().__init__()
        cfg = arch.text_cfg
        self.context_length = int(cfg.get('context_length', 77))
        self.vocab_size = int(cfg.get('vocab_size', 49408))
        self.width = int(cfg.get('width', 512))
        self.output_dim = arch.embed_dim
        self.token_embedding = nn.Embedding(self.vocab_size, self.width)
        self.positional_embedding = nn.Parameter(torch.empty(self.context_length, self.width))
        layers = int(cfg.get('layers', 12))
        self.transformer = Transformer(
            self.width, layers, int(cfg.get('heads', 8)),
            mlp_ratio=float(cfg.get('mlp_ratio', 4.0)), quick_gelu=quick_gelu,
            ls_init_value=cfg.get('ls_init_value'), eps=_eps(cfg))
        self.ln_final = LayerNorm(self.width, eps=_eps(cfg))
        if cfg.get('proj_bias', False):
            self.text_projection = nn.Linear(self.width, arch.embed_dim)
        else:
            self.text_projection = nn.Parameter(torch.empty(self.width, arch.embed_dim))
        self.reset_parameters()

    def reset_parameters(self):
        """Random weights, with CLIP's initial scales."""
        layers = len(self.transformer.resblocks)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        self.transformer.reset_parameters(
            attn_std=self.width ** -0.5,
            proj_std=self.width ** -0.5 * (2 * layers) ** -0.5,
            fc_std=(2 * self.width) ** -0.5)
        proj = self.text_projection
        nn.init.normal_(proj.weight if isinstance(proj, nn.Linear) else proj,
                        std=self.width ** -0.5)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features [K, width] -> embeddings [K, embed_dim]."""
        proj = self.text_projection
        return proj(x) if isinstance(proj, nn.Linear) else x @ proj


def build_tower_module(tower: str, arch: CLIPArch, quick_gelu: bool) -> nn.Module:
    """An empty (randomly initialised) :class:`VisionTower` (``'visual'``)
    or :class:`TextTower` (``'text'``) of ``arch``; refuses options it does
    not build, by name."""
    cfg = arch.vision_cfg if tower == VISUAL else arch.text_cfg
    problems = unsupported_options(cfg, tower)
    if problems:
        raise NotImplementedError(
            f'CLIP architecture {arch.name!r} asks for what the prompted {tower} tower does '
            f'not build: {", ".join(problems)}. vtd_mm builds standard CLIP ViTs (OpenAI '
            'CLIP, most open_clip ViT-*/14, ViT-*/16, ViT-*/32 models).')
    return VisionTower(arch, quick_gelu) if tower == VISUAL else TextTower(arch, quick_gelu)


__all__ = ['TextTower', 'VisionTower', 'build_tower_module', 'unsupported_options']
