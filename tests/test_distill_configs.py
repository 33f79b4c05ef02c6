"""The distillation configs build and run one training iteration (random weights)."""
import os

import pytest
import torch
from mmengine.config import Config

from .conftest import train_one_iteration
from .paths import ROOT  # noqa: E402

CONFIGS = ['ckd_vtd-vitl14_to_vtd-vitb16_k400', 'ckd_vtd-vitb16_to_tsn-r50_k400',
           'ckd_tsm-r50_to_tsm-mbv2_k400']


def without_weights(node):
    """Random weights: every ``pretrained`` in a config tree set to None."""
    if isinstance(node, dict):
        if 'pretrained' in node and node.get('type') == 'MobileNetV2TSM':
            node['pretrained2d'] = False  # MMAction2 loads `pretrained` unless this is off
        for key, value in node.items():
            if key == 'pretrained':
                node[key] = None
            else:
                without_weights(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            without_weights(value)


def with_frames(cfg, frames):
    """Training clips of ``frames`` frames and VTD heads that take them: the
    ViT-L/14 teacher on 16 frames of 224 px is a minute of CPU per step, and
    the clip length changes nothing of what is built."""
    for sampler in cfg.train_dataloader.dataset.pipeline:
        if sampler['type'] == 'UniformSample':
            sampler['clip_len'] = frames
    for side in (cfg.model.student, cfg.model.teacher):
        if side.cls_head.type == 'VTDHead':
            side.cls_head.num_frames = frames


@pytest.mark.parametrize('name', CONFIGS)
def test_distill_config_runs_one_iteration(name, tmp_path):
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'distill', f'{name}.py'))
    assert cfg.model.type == 'RecognizerDistiller' and cfg.model.teacher_checkpoint
    without_weights(cfg.model)
    if name.startswith('ckd_vtd'):
        with_frames(cfg, 2)
    cfg.model.teacher_checkpoint = None
    cfg.param_scheduler = None
    cfg.pop('effective_batch_size', None)
    runner, _ = train_one_iteration(cfg, tmp_path, classes=('red', 'blue'), batch_size=2)
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss_ckd'].current()))
    assert scalars['train/loss_ckd'].current() > 0
