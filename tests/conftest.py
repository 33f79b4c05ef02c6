"""Shared fixtures: tiny CLIP architectures with random weights (CPU, offline)."""
import copy
import os

import pytest
import torch

import vtd_mm  # noqa: F401  (registers modules, applies compat fixes)
from mmaction.utils import register_all_modules

register_all_modules(init_default_scope=True)

torch.set_num_threads(min(2, os.cpu_count() or 1))

# A tiny CLIP: 32 px, patch 8, 3 layers per tower, 4 heads of width 16.
TINY_ARCH = dict(
    embed_dim=32,
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=3, head_width=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=3),
)


@pytest.fixture
def tiny_arch():
    return copy.deepcopy(TINY_ARCH)


def make_clip(arch, quick_gelu=False, seed=0):
    import open_clip
    torch.manual_seed(seed)
    cfg = copy.deepcopy(arch)
    cfg.pop('quick_gelu', None)
    model = open_clip.CLIP(**cfg, quick_gelu=quick_gelu).eval()
    # open_clip leaves some parameters at their default init; give every
    # tensor non-trivial values so that loading mistakes cannot hide.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'ln' in name and name.endswith('weight'):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith('bias'):
                p.copy_(0.02 * torch.randn_like(p))
    return model


@pytest.fixture
def tiny_clip(tiny_arch):
    """An open_clip CLIP with the tiny architecture and random weights."""
    return make_clip(tiny_arch)


@pytest.fixture
def tiny_clip_file(tiny_clip, tmp_path):
    """The tiny CLIP saved as a plain state dict (open_clip layout)."""
    path = tmp_path / 'tiny_clip.pt'
    torch.save(tiny_clip.state_dict(), path)
    return str(path)
