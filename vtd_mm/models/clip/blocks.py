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


def run_block(block, x: torch.Tensor, with_cp: bool, fn=None, **kwargs) -> torch.Tensor:
    """``fn(block, x, **kwargs)`` (default :func:`residual_block`), with
    activation checkpointing when asked and useful."""
    fn = fn or residual_block
    if with_cp and x.requires_grad:
        return checkpoint(fn, block, x, use_reentrant=False, **kwargs)
    return fn(block, x, **kwargs)


def suffix_mask(prefix_len: int, suffix_len: int, device) -> torch.Tensor:
    """Boolean mask ``[S, P + S]``: every prefix key, causal over the suffix.

    No row is fully masked (each sees the prefix), so SDPA stays NaN-free.
    """
    causal = torch.ones(suffix_len, suffix_len, dtype=torch.bool, device=device).tril()
    prefix = torch.ones(suffix_len, prefix_len, dtype=torch.bool, device=device)
    return torch.cat([prefix, causal], dim=1)


def shared_prefix_block(block, x: torch.Tensor, prefix_len: int, groups) -> torch.Tensor:
    """One causal text block on a packed sequence: shared prefix + class suffixes.

    ``x`` is ``[P + T, W]``: the ``P`` prefix tokens common to every class,
    then the suffix tokens of all classes, class after class, classes of equal
    suffix length adjacent. ``groups`` lists ``(start, classes, length, mask)``
    for each run of equal length. Linear layers run once over all ``P + T``
    tokens (no padding); the prefix attends causally to itself, and each
    suffix to the whole prefix and causally to its own tokens. This equals
    running every class's full sequence through the block.
    """
    attn = block.attn
    heads = attn.num_heads
    width = x.shape[-1]
    dropout = attn.dropout if block.training else 0.0
    qkv = F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias)
    q, k, v = qkv[:prefix_len].unsqueeze(0).chunk(3, dim=-1)
    k_p, v_p = split_heads(k, heads), split_heads(v, heads)           # [1, H, P, d]
    outs = [merge_heads(F.scaled_dot_product_attention(
        split_heads(q, heads), k_p, v_p, dropout_p=dropout, is_causal=True))[0]]
    for start, classes, length, mask in groups:
        q, k, v = qkv[start:start + classes * length].view(classes, length, 3 * width).chunk(3, -1)
        k = torch.cat([k_p.expand(classes, -1, -1, -1), split_heads(k, heads)], dim=2)
        v = torch.cat([v_p.expand(classes, -1, -1, -1), split_heads(v, heads)], dim=2)
        o = F.scaled_dot_product_attention(split_heads(q, heads), k, v, attn_mask=mask,
                                           dropout_p=dropout)
        outs.append(merge_heads(o).reshape(classes * length, width))
    x = x + block.ls_1(attn.out_proj(torch.cat(outs, dim=0)))
    return x + block.ls_2(block.mlp(block.ln_2(x)))
