"""Zero-shot, few-shot and base-to-novel configs: settings, label sets, one real iteration."""
import copy
import glob
import os

import pytest
import torch
from mmengine.config import Config

from vtd_mm.datasets import class_names_from_metainfo, load_class_names
from vtd_mm.evaluation import loader_for_set, named_test_sets
from .videos import make_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOCOL_DIRS = ('zero_shot', 'few_shot', 'base2novel')
CONFIGS = sorted(os.path.relpath(p, os.path.join(ROOT, 'configs'))[:-3]
                 for d in PROTOCOL_DIRS for p in glob.glob(os.path.join(ROOT, 'configs', d, '*.py')))
# one config per (protocol, dataset) runs an iteration; the others (other K,
# other seed) must equal it except for the training list
RUN = ['zero_shot/vtd_zs_k400_32f', 'few_shot/vtd_fs_hmdb51_16shot', 'few_shot/vtd_fs_ucf101_16shot',
       'few_shot/vtd_fs_ssv2_16shot', 'base2novel/vtd_b2n_hmdb51_s1', 'base2novel/vtd_b2n_ucf101_s1',
       'base2novel/vtd_b2n_k400_s1', 'base2novel/vtd_b2n_ssv2_s1']
# (n_ctx, depth, effective batch, clips per GPU, lr, epochs) of the authors' settings
SETTINGS = {'few_shot': (10, 12, 8, 1, 8e-3, 50), 'base2novel/vtd_b2n_hmdb51': (16, 9, 64, 8, 4e-4, 100),
            'base2novel/vtd_b2n_ucf101': (16, 9, 64, 8, 4e-4, 80),
            'base2novel/vtd_b2n_k400': (16, 9, 64, 8, 4e-3, 80),
            'base2novel/vtd_b2n_ssv2': (16, 12, 8, 1, 2e-3, 50),
            'zero_shot': (16, 12, 128, 8, 4e-3, 10)}


def load(name):
    return Config.fromfile(os.path.join(ROOT, 'configs', f'{name}.py'))


def representative(name):
    if name.startswith('few_shot/'):
        return name.rsplit('_', 1)[0] + '_16shot'
    if name.startswith('base2novel/'):
        return name.rsplit('_', 1)[0] + '_s1'
    return name


def test_every_protocol_config_is_covered():
    assert len(CONFIGS) == 1 + 12 + 12
    assert {representative(n) for n in CONFIGS} == set(RUN)


@pytest.mark.parametrize('name', CONFIGS)
def test_protocol_config_settings_and_label_sets(name):
    cfg = load(name)
    head, backbone = cfg.model.cls_head, cfg.model.backbone
    n_ctx, depth, batch, per_gpu, lr, epochs = next(
        v for k, v in SETTINGS.items() if name.startswith(k))
    assert head.num_frames == 32 and cfg.train_dataloader.dataset.pipeline[1]['clip_len'] == 32
    assert (backbone.n_ctx, backbone.depth) == (n_ctx, depth)
    learner = head.text_encoder.prompt_learner
    assert (learner.n_ctx, learner.depth) == (n_ctx, depth)
    assert cfg.effective_batch_size == batch and cfg.train_dataloader.batch_size == per_gpu
    assert cfg.optim_wrapper.optimizer.lr == lr and cfg.train_cfg.max_epochs == epochs
    assert cfg.optim_wrapper.optimizer.betas == (0.9, 0.98)
    assert head.text_encoder.mode == 'shared_prefix'
    test = cfg.test_dataloader.dataset.pipeline
    assert test[1]['num_clips'] == 1 and test[4] == dict(type='CenterCrop', crop_size=224)
    # the model's label set is the training set's, and every set names its own
    train_names = class_names_from_metainfo(cfg.train_dataloader.dataset.metainfo['classes'])
    assert load_class_names(head.class_names) == train_names and len(train_names) == head.num_classes
    sets = named_test_sets(cfg)
    for test_set in sets:
        dataset = loader_for_set(cfg, test_set)['dataset']
        assert dataset.ann_file.startswith('data/') and dataset.pipeline == test
        assert class_names_from_metainfo(dataset.metainfo['classes'])
    groups = [s['group'] for s in sets]
    if name.startswith('zero_shot'):
        assert groups == ['hmdb51'] * 3 + ['ucf101'] * 3 + ['k600'] * 3
        sizes = [len(class_names_from_metainfo(loader_for_set(cfg, s)['dataset'].metainfo['classes']))
                 for s in sets]
        assert sizes == [51] * 3 + [101] * 3 + [160] * 3
    elif name.startswith('base2novel'):
        assert groups == ['base', 'novel']
        novel = class_names_from_metainfo(
            loader_for_set(cfg, sets[1])['dataset'].metainfo['classes'])
        assert not set(novel) & set(train_names)
    # the seed / shots a config states are those of its training list
    train_list = cfg.train_dataloader.dataset.ann_file
    if name.startswith('base2novel'):
        assert f'fs_base_s{cfg.seed}_train' in train_list, (cfg.seed, train_list)
    if name.startswith('few_shot'):
        assert train_list.endswith(f'few_shot_{cfg.shots}.txt'), (cfg.shots, train_list)
    if name != representative(name):  # other K / seed: only the training list differs
        this, ref = cfg.to_dict(), load(representative(name)).to_dict()
        assert this['train_dataloader']['dataset'].pop('ann_file') != \
            ref['train_dataloader']['dataset'].pop('ann_file')
        for c in (this, ref):
            for key in ('filename', 'seed', 'shots'):
                c.pop(key, None)
        assert this == ref


@pytest.mark.parametrize('name', RUN)
def test_protocol_config_runs_one_iteration(name, tmp_path):
    """ViT-B/16 with random weights (pretrained=None), 32 frames, the config's
    label set, one real training step on a generated video."""
    from mmengine.runner import Runner
    lists = make_dataset(str(tmp_path / 'data'), classes=('red', ), per_class=1, num_frames=32,
                         splits=('train', ))
    cfg = load(name)
    cfg.model.backbone.pretrained = None
    cfg.model.cls_head.text_encoder.pretrained = None
    loader = cfg.train_dataloader
    loader.update(batch_size=1, num_workers=0, persistent_workers=False)
    loader.dataset.update(ann_file=lists['train'],
                          data_prefix=dict(video=str(tmp_path / 'data' / 'videos')))
    cfg.train_cfg.max_epochs = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    model = runner.model
    prompts = model.backbone.prompts.detach().clone()
    runner.train()
    assert runner.iter == 1
    assert not torch.equal(prompts, model.backbone.prompts)
    assert len(model.cls_head.class_names) == cfg.model.cls_head.num_classes
