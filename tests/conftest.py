"""Shared fixtures: tiny CLIP architectures with random weights (CPU, offline)."""
import copy
import logging
import os

import pytest
import torch
from mmaction.utils import register_all_modules

import vtd_mm  # noqa: F401  (registers modules, applies compat fixes)

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


def train_one_iteration(cfg, tmp_path, classes=('red',), num_frames=20, batch_size=1):
    """Run ``cfg`` for one real training iteration on generated videos:
    random CLIP weights (``pretrained=None``), no validation or test, no
    checkpoint. Returns the Runner (trained) and the prompts before the step
    (None for models without visual prompts)."""
    from mmengine.runner import Runner

    from .videos import make_dataset
    lists = make_dataset(str(tmp_path / 'data'), classes=classes, per_class=1,
                         num_frames=num_frames, splits=('train',))
    loader = cfg.train_dataloader
    loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    loader.dataset.update(ann_file=lists['train'],
                          data_prefix=dict(video=str(tmp_path / 'data' / 'videos')))
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    backbone = getattr(runner.model, 'backbone', None)
    prompts = getattr(backbone, 'prompts', None)
    prompts = None if prompts is None else prompts.detach().clone()
    runner.train()
    assert runner.iter == 1
    return runner, prompts


@pytest.fixture
def mmlog(caplog, monkeypatch):
    """``caplog`` for mmengine's ``print_log(..., logger='current')``: MMLogger
    instances are outside the logging hierarchy (nothing propagates to the
    root logger, where caplog listens), and a Runner makes a new one; every
    MMLogger record is handed to caplog as well."""
    from mmengine.logging import MMLogger
    call_handlers = MMLogger.callHandlers

    def both(self, record):
        caplog.handler.handle(record)
        call_handlers(self, record)
    monkeypatch.setattr(MMLogger, 'callHandlers', both)
    return caplog


def warnings_logged(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
