"""The distillation configs build and run one training iteration (random weights)."""
import os

import pytest
import torch
from mmengine.config import Config

from .videos import make_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


@pytest.mark.parametrize('name', CONFIGS)
def test_distill_config_runs_one_iteration(name, tmp_path):
    from mmengine.runner import Runner
    lists = make_dataset(str(tmp_path / 'data'), classes=('red', 'blue'), per_class=1,
                         num_frames=20, splits=('train',))
    cfg = Config.fromfile(os.path.join(ROOT, 'configs', 'distill', f'{name}.py'))
    assert cfg.model.type == 'RecognizerDistiller' and cfg.model.teacher_checkpoint
    without_weights(cfg.model)
    cfg.model.teacher_checkpoint = None
    loader = cfg.train_dataloader
    loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    loader.dataset.update(ann_file=lists['train'],
                          data_prefix=dict(video=str(tmp_path / 'data' / 'videos')))
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.param_scheduler = None
    cfg.pop('effective_batch_size', None)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss_ckd'].current()))
    assert scalars['train/loss_ckd'].current() > 0
