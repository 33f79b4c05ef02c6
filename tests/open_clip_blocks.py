"""open_clip's residual blocks called on batch-first tensors, in every open_clip release.

open_clip's transformers ran sequence-first ([L, B, W]) up to 2.23 and batch-first
since; the references in the tests are written batch-first.
"""
import torch


def open_clip_block(transformer, block, x: torch.Tensor, attn_mask=None) -> torch.Tensor:
    """open_clip ``block`` of ``transformer`` on ``x`` [B, L, W] -> [B, L, W]."""
    if getattr(transformer, 'batch_first', False):
        return block(x, attn_mask=attn_mask)
    return block(x.transpose(0, 1), attn_mask=attn_mask).transpose(0, 1)
