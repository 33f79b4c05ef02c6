"""Learnable text context (CoOp-style), deep over the layers of the text tower."""
from typing import Callable, Optional

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule


@MODELS.register_module()
class TextPromptLearner(BaseModule):
    """``n_ctx`` context vectors shared by all classes, per text layer.

    The prompt of class k is ``SOS, P_1..P_n, tokens(name_k), '.', EOS``.
    ``ctx[0]`` fills the context slots (positions ``1..n_ctx``) of the input
    embedding; ``ctx[i]`` replaces those slots at the input of text layer
    ``i`` for ``1 <= i < depth``. Built by :class:`CLIPTextEncoder`, which
    supplies ``width``, ``num_layers`` and ``embed_words``.

    Args:
        n_ctx (int): number of context tokens (>= 1).
        depth (int): number of layers that receive context (1: input only).
        ctx_init (str | None): words that initialise the context, e.g.
            ``'a video of a'``. They may take fewer tokens than ``n_ctx``: their
            embeddings go into the last slots (right before the class name)
            and the remaining slots are drawn from N(0, init_std).
        init_std (float): std of the random initialisation.
        width (int): text transformer width.
        num_layers (int): text transformer depth.
        embed_words (callable): str -> token embeddings ``[m, width]``.

    Attributes:
        ctx (Parameter): ``[depth, n_ctx, width]``.
    """

    def __init__(self, n_ctx: int = 16, depth: int = 1,
                 ctx_init: Optional[str] = None, init_std: float = 0.02,
                 width: Optional[int] = None, num_layers: Optional[int] = None,
                 embed_words: Optional[Callable[[str], torch.Tensor]] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if width is None or num_layers is None:
            raise ValueError('TextPromptLearner is built by CLIPTextEncoder '
                             '(prompt_learner=dict(type=...)), which sets width '
                             'and num_layers.')
        if n_ctx < 1:
            raise ValueError(f'n_ctx must be >= 1, got {n_ctx}; use '
                             'prompt_learner=None for no context.')
        if not 1 <= depth <= num_layers:
            raise ValueError(f'depth must be in 1..{num_layers}, got {depth}.')
        self.n_ctx, self.depth, self.width = n_ctx, depth, width
        self.ctx_init = ctx_init
        self.ctx = nn.Parameter(torch.empty(depth, n_ctx, width))
        nn.init.normal_(self.ctx, std=init_std)
        if ctx_init:
            if embed_words is None:
                raise ValueError('ctx_init needs embed_words.')
            words = embed_words(ctx_init.replace('_', ' ')).detach()
            if words.shape[0] > n_ctx:
                raise ValueError(f'ctx_init {ctx_init!r} takes {words.shape[0]} '
                                 f'tokens, more than n_ctx={n_ctx}.')
            with torch.no_grad():
                self.ctx[0, n_ctx - words.shape[0]:] = words

    def layer_context(self, layer: int) -> Optional[torch.Tensor]:
        """Context ``[n_ctx, width]`` entering text layer ``layer`` (0: embedding), or None."""
        return self.ctx[layer] if layer < self.depth else None
