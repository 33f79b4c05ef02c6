"""Running open_clip's residual attention blocks through PyTorch's fused SDPA.

The towers keep open_clip's own modules (so weights load 1:1) and call them
through :func:`residual_block`, which does what ``ResidualAttentionBlock``
does but with ``F.scaled_dot_product_attention`` on ``[B, heads, L, d]``
tensors: no ``nn.MultiheadAttention`` transposes, and the same weights can
later serve attention against cached prefix keys/values.
"""
import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, L, W] -> [B, heads, L, W // heads]."""
    b, n, w = x.shape
    return x.view(b, n, heads, w // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """[B, heads, L, d] -> [B, L, heads * d]."""
    b, h, n, d = x.shape
    return x.transpose(1, 2).reshape(b, n, h * d)


def residual_block(block, x: torch.Tensor, is_causal: bool = False) -> torch.Tensor:
    """One open_clip ``ResidualAttentionBlock`` on ``x`` [B, L, W] -> [B, L, W].

    ``is_causal`` applies the square causal mask of CLIP's text tower.
    """
    attn = block.attn
    h = block.ln_1(x)
    q, k, v = F.linear(h, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    heads = attn.num_heads
    dropout = attn.dropout if block.training else 0.0
    o = F.scaled_dot_product_attention(
        split_heads(q, heads), split_heads(k, heads), split_heads(v, heads),
        dropout_p=dropout, is_causal=is_causal)
    x = x + block.ls_1(attn.out_proj(merge_heads(o)))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


def run_block(block, x: torch.Tensor, with_cp: bool, **kwargs) -> torch.Tensor:
    """:func:`residual_block`, with activation checkpointing when asked and useful."""
    if with_cp and x.requires_grad:
        return checkpoint(residual_block, block, x, use_reentrant=False, **kwargs)
    return residual_block(block, x, **kwargs)
