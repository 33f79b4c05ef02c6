"""Confidence-aware fusion of the discrete video token into frame features."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..clip.blocks import merge_heads, split_heads


@MODELS.register_module()
class ConfidenceAwareFusion(BaseModule):
    """VTD-CLIP's fusion (the authors' "LRF"): frames attend to video tokens.

    ``g_t = fc2(relu(fc1(MHA(q=f_t, k=z, v=z))))`` and ``f~_t = f_t + g_t``, with
    separate q/k/v/out projections (with bias) and dropout on the attention
    weights. With a single token (the default, ``M = 1``) the attention weight
    is 1, so ``g`` does not depend on ``f_t``: outside training it is computed
    once per video, which is exact.

    Args:
        embed_dims (int): feature width D.
        num_heads (int): attention heads.
        mlp_ratio (float): hidden width of fc1 / fc2 relative to D.
        attn_drop (float): dropout on the attention weights.

    Shapes:
        frames ``[B, T, D]``, tokens ``[B, M, D]`` -> ``[B, T, D]``.
    """

    def __init__(self, embed_dims=512, num_heads=8, mlp_ratio=4.0, attn_drop=0.1,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}.')
        self.embed_dims, self.num_heads, self.attn_drop = embed_dims, num_heads, attn_drop
        self.q_proj = nn.Linear(embed_dims, embed_dims)
        self.k_proj = nn.Linear(embed_dims, embed_dims)
        self.v_proj = nn.Linear(embed_dims, embed_dims)
        self.out_proj = nn.Linear(embed_dims, embed_dims)
        hidden = int(embed_dims * mlp_ratio)
        self.fc1 = nn.Linear(embed_dims, hidden)
        self.fc2 = nn.Linear(hidden, embed_dims)

    def attend(self, frames: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Multi-head attention of frames [B, T, D] over tokens [B, M, D] -> [B, T, D]."""
        if tokens.shape[1] == 1 and not self.training:
            # one key: softmax weight 1, the output is the projected value. In
            # training the full path runs, so that every parameter takes part
            # (DDP) and the query/key projections see weight decay, as in the
            # authors' code.
            return self.out_proj(self.v_proj(tokens))
        dropout = self.attn_drop if self.training else 0.0
        h = self.num_heads
        o = F.scaled_dot_product_attention(
            split_heads(self.q_proj(frames), h), split_heads(self.k_proj(tokens), h),
            split_heads(self.v_proj(tokens), h), dropout_p=dropout)
        return self.out_proj(merge_heads(o))

    def forward(self, frames: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        g = self.fc2(F.relu(self.fc1(self.attend(frames, tokens))))
        return frames + g
