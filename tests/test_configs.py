"""The shipped configs: they load, build and (K400) run one training iteration."""
import os

import pytest
import torch
from mmengine.config import Config

from vtd_mm.datasets import load_class_names
from .videos import make_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = {'vtd_k400_8x16': 400, 'vtd_hmdb51_split1_8x16': 51,
           'vtd_ucf101_split1_8x16': 101, 'vtd_ssv2_8x16': 174}


def load(name):
    return Config.fromfile(os.path.join(ROOT, 'configs', f'{name}.py'))


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_settings(name, tiny_arch, tmp_path):
    from mmaction.registry import MODELS
    cfg = load(name)
    head = cfg.model.cls_head
    assert head.num_classes == CONFIGS[name] and head.num_frames == 16
    assert cfg.effective_batch_size == 128 and cfg.train_dataloader.batch_size == 16
    assert cfg.train_dataloader.sampler.shuffle and not cfg.val_dataloader.sampler.get('drop_last')
    assert cfg.optim_wrapper.optimizer.betas == (0.9, 0.98)
    test = cfg.test_dataloader.dataset.pipeline
    assert test[1] == dict(type='UniformSample', clip_len=16, num_clips=4, test_mode=True)
    assert test[4] == dict(type='ThreeCrop', crop_size=224)
    if name in ('vtd_k400_8x16', 'vtd_ssv2_8x16'):  # label files shipped with vtd_mm
        labels = head.class_names
        assert len(load_class_names(labels)) == head.num_classes
    else:  # label files the user prepares (docs/datasets.md): one of the right size
        assert head.class_names.startswith('data/')
        labels = tmp_path / 'labels.txt'
        labels.write_text('\n'.join(f'class {i}' for i in range(head.num_classes)))
    built = MODELS.build(dict(
        head, class_names=str(labels), in_channels=32,
        text_encoder=dict(head.text_encoder, arch=tiny_arch, pretrained=None,
                          prompt_learner=dict(head.text_encoder.prompt_learner, depth=3))))
    assert built.fusion.num_heads == 8


def test_k400_config_runs_one_iteration(tmp_path):
    """ViT-B/16, 16 frames, 400 class names, random weights, one real step."""
    from mmengine.runner import Runner
    lists = make_dataset(str(tmp_path / 'data'), classes=('red',), per_class=1, num_frames=20,
                         splits=('train',))
    cfg = load('vtd_k400_8x16')
    cfg.model.backbone.pretrained = None
    cfg.model.cls_head.text_encoder.pretrained = None
    loader = cfg.train_dataloader
    loader.update(batch_size=1, num_workers=0, persistent_workers=False)
    loader.dataset.update(ann_file=lists['train'], data_prefix=dict(video=str(tmp_path / 'data' / 'videos')))
    cfg.train_cfg.max_epochs = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    model = runner.model
    prompts = model.backbone.prompts.detach().clone()
    assert prompts.shape == (12, 16, 768)
    assert model.cls_head.text_encoder.prompt_learner.ctx.shape == (12, 16, 512)
    runner.train()
    assert runner.iter == 1
    assert not torch.equal(prompts, model.backbone.prompts)
