"""CLIP image tower with deep visual prompts, as an MMAction2 backbone."""
import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from ..checkpoint_fit import FrozenCLIPTowerState
from .blocks import run_block
from .tower_builder import build_tower
from .weight_cache import release_unclaimed
from .weights_file import VISUAL


def check_prompt_depth(n_ctx: int, depth: int, num_layers: int, what: str):
    if n_ctx < 0:
        raise ValueError(f'{what}: n_ctx must be >= 0, got {n_ctx}.')
    if n_ctx and not 1 <= depth <= num_layers:
        raise ValueError(f'{what}: depth must be in 1..{num_layers} (the number '
                         f'of layers), got {depth}.')


@MODELS.register_module()
class CLIPVisionBackbone(FrozenCLIPTowerState, BaseModule):
    """A CLIP ViT (open_clip architecture) with deep visual prompts.

    After patch embedding, class token and positional embedding, ``n_ctx``
    learnable tokens are appended to the sequence, then ``ln_pre``. At the
    input of layers ``1 .. depth-1`` the last ``n_ctx`` tokens are replaced by
    that layer's own learnable tokens; later layers keep what those slots
    computed. The output is ``ln_post(x_cls) @ proj``, not normalised.

    Args:
        arch (str | dict | None): open_clip model name (``'ViT-B-16'``,
            ``'ViT-L-14'``, ...) or config dict; None reads it from the file.
        pretrained (str | None): local CLIP weights file, open_clip tag, or
            None for random weights.
        n_ctx (int): number of visual prompt tokens (0: no prompts).
        depth (int): layers that receive prompts (1: input only).
        prompt_init_std (float): std of the normal prompt initialisation.
        freeze_clip (bool): keep every CLIP weight frozen (default). False
            fine-tunes the whole tower.
        with_cp (bool): activation checkpointing per transformer block.
        quick_gelu (bool | None): True for QuickGELU (every OpenAI CLIP),
            False for GELU; None takes it from the arch or the file and warns
            when the file does not tell (see ``choose_activation``).

    Checkpoints loaded into it must fit (see :mod:`..checkpoint_fit`).

    Shapes, as MMAction2's heads take a backbone's feature maps:

    - ``Recognizer2D``: frames ``[N*T, 3, H, W]`` -> ``[N*T, embed_dim, 1, 1]``
      (``TSNHead`` / ``TSMHead`` pool the 1x1 map, ``VTDHead`` reads the frames);
    - ``Recognizer3D``: clips ``[N, 3, T, H, W]`` -> ``[N, embed_dim, T, 1, 1]``,
      each frame encoded on its own (``I3DHead`` averages them, ``VTDHead``
      reads the T time steps as frames).

    :meth:`encode_frames` gives the embeddings ``[B, embed_dim]`` of frames.
    """

    def __init__(self, arch='ViT-B-16', pretrained=None, n_ctx=0, depth=1,
                 prompt_init_std=0.02, freeze_clip=True, with_cp=False,
                 quick_gelu=None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.visual, self.arch, weights, quick_gelu = build_tower(
            VISUAL, arch, pretrained, quick_gelu)
        self._init_clip_state(weights, quick_gelu, freeze_clip)
        self.width = self.visual.conv1.out_channels
        self.embed_dim = self.visual.output_dim
        self.num_layers = len(self.visual.transformer.resblocks)
        check_prompt_depth(n_ctx, depth, self.num_layers, type(self).__name__)
        self.n_ctx, self.depth = n_ctx, depth if n_ctx else 0
        self.with_cp = with_cp
        if n_ctx:
            self.prompts = nn.Parameter(torch.empty(depth, n_ctx, self.width))
            nn.init.normal_(self.prompts, std=prompt_init_std)
        else:
            self.register_parameter('prompts', None)
        if freeze_clip:
            self.visual.requires_grad_(False)

    @property
    def image_size(self):
        return tuple(self.visual.image_size)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pixels [B, 3, H, W] -> token sequence [B, 1 + grid**2 + n_ctx, W] before ln_pre."""
        v = self.visual
        if tuple(x.shape[-2:]) != self.image_size:
            raise ValueError(
                f'{type(self).__name__} ({self.arch.name}) takes '
                f'{self.image_size[0]}x{self.image_size[1]} frames, got '
                f'{x.shape[-2]}x{x.shape[-1]}: set the crop/resize of the '
                'pipeline to the CLIP input size.')
        x = v.conv1(x.to(v.conv1.weight.dtype)).flatten(2).transpose(1, 2)
        cls = v.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + v.positional_embedding.to(x.dtype)
        if self.n_ctx:
            x = torch.cat([x, self.prompts[0].to(x.dtype).expand(x.shape[0], -1, -1)], 1)
        return x

    def init_weights(self):
        """The CLIP weights come from the file; the model is built by now
        (the Runner calls this before training): free what no tower took
        (e.g. the text part of a CLIP file whose vision tower feeds a TSNHead)."""
        super().init_weights()
        release_unclaimed()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Frames ``[N*T, 3, H, W]`` -> ``[N*T, embed_dim, 1, 1]``, or clips
        ``[N, 3, T, H, W]`` -> ``[N, embed_dim, T, 1, 1]``."""
        if x.dim() == 5:
            clips, steps = x.shape[0], x.shape[2]
            frames = self.encode_frames(x.transpose(1, 2).flatten(0, 1))
            return frames.reshape(clips, steps, -1).transpose(1, 2)[..., None, None]
        if x.dim() != 4:
            raise ValueError(f'{type(self).__name__} takes frames [N*T, 3, H, W] or clips '
                             f'[N, 3, T, H, W], got {tuple(x.shape)}.')
        return self.encode_frames(x)[..., None, None]

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        """Frames [B, 3, H, W] -> frame embeddings [B, embed_dim]."""
        v = self.visual
        x = v.ln_pre(self.embed(x))
        n = self.n_ctx
        for i, block in enumerate(v.transformer.resblocks):
            if 1 <= i < self.depth:
                prompts = self.prompts[i].to(x.dtype).expand(x.shape[0], -1, -1)
                x = torch.cat([x[:, :-n], prompts], 1)
            x = run_block(block, x, self.with_cp)
        return v.ln_post(x[:, 0]) @ v.proj
