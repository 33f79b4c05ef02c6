"""Settings of every shipped config that protect a user's run."""
import glob
import os

import pytest
from mmengine.config import Config

from .paths import ROOT  # noqa: E402

CONFIGS = sorted(p for p in glob.glob(os.path.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: os.path.relpath(p, ROOT))
def test_checkpoints_survive_an_interrupted_save(path):
    """mmengine's CheckpointHook deletes the oldest kept checkpoint before it
    writes the next one: with max_keep_ckpts=1 a run killed while saving has
    no checkpoint left."""
    cfg = Config.fromfile(path)
    keep = cfg.default_hooks.checkpoint.get('max_keep_ckpts', -1)
    assert keep == -1 or keep >= 2, f'{path}: max_keep_ckpts={keep}'


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: os.path.relpath(p, ROOT))
def test_clip_towers_state_their_activation(path):
    """Both towers of every VTD config say QuickGELU / GELU, so a model built
    without its CLIP file (init_recognizer) has the activation it was trained with."""
    cfg = Config.fromfile(path)
    towers = []

    def collect(node):
        if isinstance(node, dict):
            if node.get('type') in ('CLIPVisionBackbone', 'CLIPTextEncoder'):
                towers.append(node)
            for v in node.values():
                collect(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                collect(v)
    collect(cfg.model)
    for tower in towers:
        assert tower.get('quick_gelu') is not None, f"{path}: {tower['type']} without quick_gelu"
