"""CLIP's residual attention block, written here on PyTorch's fused SDPA.

The module and parameter names are those of CLIP's state dict (OpenAI and
open_clip write the same keys: ``ln_1``, ``attn.in_proj_weight``,
``attn.in_proj_bias``, ``attn.out_proj``, ``ls_1.gamma``, ``ln_2``,
``mlp.c_fc``, ``mlp.c_proj``, ``ls_2.gamma``), so a CLIP file loads one to
one, strictly, with no key map, and checkpoints written by earlier vtd_mm
versions keep loading. Attention runs on ``[B, heads, L, d]`` tensors with
``F.scaled_dot_product_attention``, which also serves the text tower's
attention against a shared prefix (:meth:`ResidualAttentionBlock.forward_shared_prefix`).
CLIP's blocks have no attention or residual dropout; neither has this one.
"""
from collections import OrderedDict
from typing import NamedTuple, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class LayerNorm(nn.LayerNorm):
    """LayerNorm whose output has the input's dtype (under autocast too), as
    in CLIP: the residual stream keeps the dtype it enters a block with."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps).to(dtype)


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``: the activation OpenAI's CLIP was trained with."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class LayerScale(nn.Module):
    """Per-channel scale ``gamma`` [W] of a residual branch (``ls_init_value``)."""

    def __init__(self, width: int, init_value: float):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((width,), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class SelfAttention(nn.Module):
    """The parameters of CLIP's multi-head self-attention: a packed input
    projection ``in_proj_weight`` [3W, W] / ``in_proj_bias`` [3W] (q, k, v
    stacked) and ``out_proj`` [W, W]. The block computes with them."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        if width % heads:
            raise ValueError(f'width {width} is not divisible by {heads} heads.')
        self.num_heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def qkv(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [..., W] -> ``[..., 3W]`` (q, k, v concatenated)."""
        return F.linear(x, self.in_proj_weight, self.in_proj_bias)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, L, W] -> [B, heads, L, W // heads]."""
    b, n, w = x.shape
    return x.view(b, n, heads, w // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, heads, L, d] -> [B, L, heads * d]."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


class SuffixLayout(NamedTuple):
    """Class suffixes laid out as ``[K, S]`` rows for attention, ``S`` the
    longest suffix; a shorter suffix is padded at its end.

    Attributes:
        gather: packed suffix row of each padded slot ``[K * S]`` (padding
            slots repeat a real row; causality keeps them from every real query).
        scatter: padded slot of each packed suffix row ``[T]``.
        classes: K.
        length: S.
        mask: causal mask of the suffixes ``[S, S]`` (True = attend).
    """
    gather: torch.Tensor
    scatter: torch.Tensor
    classes: int
    length: int
    mask: torch.Tensor


def attend_after_prefix(q: torch.Tensor, k_p: torch.Tensor, v_p: torch.Tensor,
                        k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention of K suffixes over a shared prefix and, causally, themselves.

    ``q``, ``k``, ``v``: ``[H, K, S, d]`` (suffix queries, keys, values);
    ``k_p``, ``v_p``: ``[H, P, d]`` (the prefix's keys and values, shared by
    every suffix); ``mask`` ``[S, S]`` (True = attend; causal). Returns
    ``[H, K, S, d]``. The prefix's keys are used once for all ``K * S``
    queries instead of being copied per suffix. The sequences are short
    (P + S of ~30 tokens for CLIP prompts): two matmuls per part are cheap,
    and PyTorch's fused CPU kernel with a mask took most of the text tower's
    time in its bf16 backward (docs/performance.md). The softmax runs in fp32
    at least.
    """
    heads, classes, length, d = q.shape
    q = q * d ** -0.5
    to_prefix = q.view(heads, classes * length, d) @ k_p.transpose(-2, -1)   # [H, K*S, P]
    to_suffix = (q @ k.transpose(-2, -1)).masked_fill(~mask, float('-inf'))  # [H, K, S, S]
    w = torch.softmax(torch.cat([to_prefix.view(heads, classes, length, -1), to_suffix], dim=-1),
                      dim=-1, dtype=torch.promote_types(v.dtype, torch.float32)).to(v.dtype)
    w_p, w_s = w.split([k_p.shape[-2], length], dim=-1)
    from_prefix = w_p.reshape(heads, classes * length, -1) @ v_p             # [H, K*S, d]
    return from_prefix.view(heads, classes, length, d) + w_s @ v


class ResidualAttentionBlock(nn.Module):
    """One pre-norm transformer block of CLIP:
    ``x + ls_1(attn(ln_1(x)))``, then ``x + ls_2(mlp(ln_2(x)))``.

    Args:
        width (int): channels W.
        heads (int): attention heads.
        mlp_ratio (float): hidden width of the MLP over W.
        quick_gelu (bool): QuickGELU (OpenAI CLIP) or GELU in the MLP.
        ls_init_value (float | None): LayerScale on both branches when set.
        eps (float): LayerNorm epsilon.
    """

    def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0,
                 quick_gelu: bool = False, ls_init_value: Optional[float] = None,
                 eps: float = 1e-5):
        super().__init__()
        hidden = int(width * mlp_ratio)
        self.ln_1 = LayerNorm(width, eps=eps)
        self.attn = SelfAttention(width, heads)
        self.ls_1 = LayerScale(width, ls_init_value) if ls_init_value is not None else nn.Identity()
        self.ln_2 = LayerNorm(width, eps=eps)
        self.mlp = nn.Sequential(OrderedDict([
            ('c_fc', nn.Linear(width, hidden)),
            ('gelu', QuickGELU() if quick_gelu else nn.GELU()),
            ('c_proj', nn.Linear(hidden, width)),
        ]))
        self.ls_2 = LayerScale(width, ls_init_value) if ls_init_value is not None else nn.Identity()

    def _finish(self, x: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        """Residual attention output ``attended`` [.., W] (heads merged), then the MLP."""
        x = x + self.ls_1(self.attn.out_proj(attended))
        return x + self.ls_2(self.mlp(self.ln_2(x)))

    def forward(self, x: torch.Tensor, is_causal: bool = False) -> torch.Tensor:
        """``x`` [B, L, W] -> [B, L, W]; ``is_causal``: the square causal mask
        of CLIP's text tower."""
        heads = self.attn.num_heads
        q, k, v = self.attn.qkv(self.ln_1(x)).chunk(3, dim=-1)
        o = F.scaled_dot_product_attention(split_heads(q, heads), split_heads(k, heads),
                                           split_heads(v, heads), is_causal=is_causal)
        return self._finish(x, merge_heads(o))

    def forward_shared_prefix(self, x: torch.Tensor, prefix_len: int,
                              layout: SuffixLayout) -> torch.Tensor:
        """One causal text block on a packed sequence: shared prefix + class suffixes.

        ``x`` is ``[P + T, W]``: the ``P`` prefix tokens common to every class,
        then the suffix tokens of all classes, class after class. Linear
        layers run once over all ``P + T`` tokens (no padding); the prefix
        attends causally to itself, and each suffix, gathered into ``layout``'s
        ``[K, S]`` rows, to the whole prefix and causally to its own tokens, in
        one attention call. This equals running every class's full sequence
        through :meth:`forward` with ``is_causal=True``.
        """
        heads, width = self.attn.num_heads, x.shape[-1]
        qkv = self.attn.qkv(self.ln_1(x))
        q, k, v = qkv[:prefix_len].unsqueeze(0).chunk(3, dim=-1)
        k_p, v_p = split_heads(k, heads), split_heads(v, heads)           # [1, H, P, d]
        prefix = merge_heads(F.scaled_dot_product_attention(
            split_heads(q, heads), k_p, v_p, is_causal=True))[0]            # [P, W]
        classes, length = layout.classes, layout.length
        q, k, v = qkv[prefix_len:].index_select(0, layout.gather).view(
            classes, length, 3, heads, -1).permute(2, 3, 0, 1, 4).contiguous()  # [H, K, S, d] each
        o = attend_after_prefix(q, k_p[0], v_p[0], k, v, layout.mask)      # [H, K, S, d]
        suffix = o.permute(1, 2, 0, 3).reshape(classes * length, width)
        return self._finish(x, torch.cat([prefix, suffix.index_select(0, layout.scatter)]))


class Transformer(nn.Module):
    """``layers`` residual attention blocks, as ``resblocks`` (CLIP's key names)."""

    def __init__(self, width: int, layers: int, heads: int, **block_kwargs):
        super().__init__()
        self.width = width
        self.resblocks = nn.ModuleList(
            ResidualAttentionBlock(width, heads, **block_kwargs) for _ in range(layers))

    def reset_parameters(self, attn_std: float, proj_std: float, fc_std: float):
        for block in self.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.zeros_(block.attn.in_proj_bias)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.zeros_(block.attn.out_proj.bias)
            nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)


def run_block(block: ResidualAttentionBlock, x: torch.Tensor, with_cp: bool,
              shared_prefix: bool = False, **kwargs) -> torch.Tensor:
    """``block(x, **kwargs)`` (or its :meth:`~ResidualAttentionBlock.forward_shared_prefix`),
    with activation checkpointing when asked and useful."""
    fn = block.forward_shared_prefix if shared_prefix else block
    if with_cp and x.requires_grad:
        return checkpoint(fn, x, use_reentrant=False, **kwargs)
    return fn(x, **kwargs)
