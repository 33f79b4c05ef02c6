"""Invariants of every shipped config: the mistakes a config edit can make.

Each config loads and its VTD model builds (tiny CLIP in place of ViT-B/16);
every pipeline's clips have the head's ``num_frames`` frames; the effective
batch is whole on the authors' 8 GPUs; every label file exists and has one
name per class; the model's label set is the training data's; variant configs
(other K, other seed) differ from their reference only in the training list;
the recipe configs and one config per protocol and dataset run a real
training iteration.
"""
import copy
import glob
import os
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from vtd_mm.datasets import class_names_from_metainfo, load_class_names
from vtd_mm.engine import hold_effective_batch
from vtd_mm.engine.label_set_hook import check_clip_len
from vtd_mm.evaluation import loader_for_set, named_test_sets

from .conftest import TINY_ARCH, train_one_iteration
from .paths import ROOT  # noqa: E402

CONFIG_DIR = os.path.join(ROOT, 'configs')
CONFIGS = sorted(os.path.relpath(p, CONFIG_DIR)[:-3]
                 for p in glob.glob(os.path.join(CONFIG_DIR, '**', '*.py'), recursive=True)
                 if '_base_' not in p)
VTD = [n for n in CONFIGS if not n.startswith(('distill/', 'demo/'))]
# one config per (protocol, dataset) runs an iteration; the others (other K,
# other seed) must equal it except for the training list
RUN = ['vtd_k400_8x16', 'zero_shot/vtd_zs_k400_32f', 'few_shot/vtd_fs_hmdb51_16shot',
       'few_shot/vtd_fs_ucf101_16shot', 'few_shot/vtd_fs_ssv2_16shot',
       'base2novel/vtd_b2n_hmdb51_s1', 'base2novel/vtd_b2n_ucf101_s1',
       'base2novel/vtd_b2n_k400_s1', 'base2novel/vtd_b2n_ssv2_s1']
SAMPLERS = ('UniformSample', 'SampleFrames')


def load(name):
    return Config.fromfile(os.path.join(CONFIG_DIR, f'{name}.py'))


def representative(name):
    if name.startswith('few_shot/'):
        return name.rsplit('_', 1)[0] + '_16shot'
    if name.startswith('base2novel/'):
        return name.rsplit('_', 1)[0] + '_s1'
    return name


def vtd_heads(model):
    """(where, head config) of every VTDHead of a model config, distillers included."""
    models = [('model', model)] + [(k, model[k]) for k in ('student', 'teacher') if k in model]
    return [(k, m.cls_head) for k, m in models
            if m.get('cls_head', {}).get('type') == 'VTDHead']


def loaders(cfg):
    out = {k: cfg[k] for k in ('train_dataloader', 'val_dataloader', 'test_dataloader')
           if cfg.get(k)}
    for test_set in named_test_sets(cfg) if cfg.get('test_sets') else []:
        out[f"test set {test_set['name']}"] = loader_for_set(cfg, test_set)
    return out


def test_every_config_is_covered():
    found = {os.path.relpath(os.path.join(folder, f), CONFIG_DIR)[:-3]
             for folder, _, files in os.walk(CONFIG_DIR) for f in files
             if f.endswith('.py') and '_base_' not in os.path.relpath(folder, CONFIG_DIR)}
    assert set(CONFIGS) == found and 'vtd_k400_8x16' in CONFIGS
    protocols = [n for n in VTD if '/' in n]
    assert {representative(n) for n in protocols} == {n for n in RUN if '/' in n}


@pytest.mark.parametrize('name', CONFIGS)
def test_clips_have_the_heads_frames(name):
    cfg = load(name)
    heads = vtd_heads(cfg.model)
    assert heads or name.startswith('distill/ckd_tsm'), f'{name}: no VTDHead'
    for what, loader in loaders(cfg).items():
        # the check LabelSetHook runs when a run starts, on the built pipeline
        pipeline = Compose(loader['dataset']['pipeline'])
        assert any(type(t).__name__ in SAMPLERS for t in pipeline.transforms), what
        for where, head in heads:
            check_clip_len(SimpleNamespace(pipeline=pipeline),
                           [SimpleNamespace(num_frames=head.get('num_frames'))],
                           f'{name}, {where}.cls_head, {what}')


@pytest.mark.parametrize('name', VTD)
def test_effective_batch_is_whole_on_eight_gpus(name, monkeypatch):
    cfg = load(name)
    target = cfg.effective_batch_size
    assert cfg.auto_scale_lr.base_batch_size == target
    monkeypatch.setenv('WORLD_SIZE', '8')
    cfg.launcher = 'pytorch'
    held = hold_effective_batch(copy.deepcopy(cfg), 'pytorch')
    counts = held.optim_wrapper.get('accumulative_counts', 1)
    assert 8 * cfg.train_dataloader.batch_size * counts == target
    assert not held.auto_scale_lr.get('enable')  # no lr correction needed


@pytest.mark.parametrize('name', VTD)
def test_label_sets_exist_and_fit(name, tmp_path):
    cfg = load(name)
    head = cfg.model.cls_head
    model_names = load_class_names(head.class_names)  # shipped: no file to build
    assert len(model_names) == len(set(model_names))
    assert head.get('num_classes', len(model_names)) == len(model_names)
    train_meta = cfg.train_dataloader.dataset.get('metainfo')
    if train_meta:  # the model starts with the label set it trains on
        assert class_names_from_metainfo(train_meta['classes']) == model_names
    for what, loader in loaders(cfg).items():
        meta = loader['dataset'].get('metainfo')
        if meta:
            assert class_names_from_metainfo(meta['classes']), f'{name}: {what}'
        assert loader['dataset']['ann_file'].startswith('data/'), f'{name}: {what}'
    sets = named_test_sets(cfg) if cfg.get('test_sets') else []
    groups = [s['group'] for s in sets]
    if 'base' in groups and 'novel' in groups:
        novel = class_names_from_metainfo(
            loader_for_set(cfg, sets[groups.index('novel')])['dataset'].metainfo['classes'])
        assert novel and not set(novel) & set(model_names)


@pytest.mark.parametrize('name', VTD)
def test_vtd_model_builds(name):
    """The config's head, fusion and both prompted towers build (tiny CLIP
    widths in place of ViT-B/16, prompt depth within its 3 layers)."""
    from mmaction.registry import MODELS
    cfg = load(name)
    model = copy.deepcopy(cfg.model)
    for tower in (model.backbone, model.cls_head.text_encoder):
        tower.update(arch=copy.deepcopy(TINY_ARCH), pretrained=None)
    model.backbone.depth = min(model.backbone.depth, 3)
    learner = model.cls_head.text_encoder.prompt_learner
    learner.depth = min(learner.depth, 3)
    built = MODELS.build(model)
    assert built.cls_head.class_names == load_class_names(cfg.model.cls_head.class_names)
    assert built.backbone.prompts.shape[1] == cfg.model.backbone.n_ctx


@pytest.mark.parametrize('name', [n for n in VTD if n != representative(n)])
def test_variants_differ_only_in_the_training_list(name):
    cfg = load(name)
    train_list = cfg.train_dataloader.dataset.ann_file
    if name.startswith('base2novel'):
        assert f'fs_base_s{cfg.seed}_train' in train_list, (cfg.seed, train_list)
    else:
        assert train_list.endswith(f'few_shot_{cfg.shots}.txt'), (cfg.shots, train_list)
    this, ref = cfg.to_dict(), load(representative(name)).to_dict()
    assert this['train_dataloader']['dataset'].pop('ann_file') != \
        ref['train_dataloader']['dataset'].pop('ann_file')
    for c in (this, ref):
        for key in ('filename', 'seed', 'shots'):
            c.pop(key, None)
    assert this == ref


@pytest.mark.parametrize('name', RUN)
def test_config_runs_one_iteration(name, tmp_path):
    """ViT-B/16 with random weights, the config's frames and label set, one
    real training step on a generated video."""
    cfg = load(name)
    cfg.model.backbone.pretrained = None
    cfg.model.cls_head.text_encoder.pretrained = None
    runner, prompts = train_one_iteration(cfg, tmp_path, num_frames=cfg.model.cls_head.num_frames)
    model = runner.model
    assert prompts.shape == (cfg.model.backbone.depth, cfg.model.backbone.n_ctx, 768)
    assert not torch.equal(prompts, model.backbone.prompts)
    assert model.cls_head.class_names == load_class_names(cfg.model.cls_head.class_names)


CLIP_PREPROCESSING = Config.fromfile(
    os.path.join(CONFIG_DIR, '_base_', 'models', 'clip_preprocessing.py')).model.data_preprocessor
CONFIG_FILES = sorted(glob.glob(os.path.join(CONFIG_DIR, '**', '*.py'), recursive=True))


@pytest.mark.parametrize('path', CONFIG_FILES, ids=lambda p: os.path.relpath(p, CONFIG_DIR))
def test_configs_hold_no_logic(path):
    """Read top to bottom: no functions, lambdas, loops over statements or text
    substitution of base variables (``_base_.x`` reads a base's value)."""
    import ast
    with open(path) as f:
        text = f.read()
    assert '{{_base_' not in text and '{{ _base_' not in text
    for node in ast.walk(ast.parse(text)):
        assert not isinstance(node, (ast.FunctionDef, ast.Lambda, ast.ClassDef, ast.For,
                                     ast.While, ast.Delete, ast.Import, ast.ImportFrom)), \
            f'{os.path.relpath(path, CONFIG_DIR)}:{node.lineno}: {type(node).__name__}'


@pytest.mark.parametrize('name', CONFIGS)
def test_one_clip_and_one_prompt_size_per_model(name):
    """Both towers of every VTD model read the same CLIP file with the same
    architecture and activation, and every CLIP model normalises pixels as CLIP."""
    cfg = load(name)
    for where, head in vtd_heads(cfg.model):
        recognizer = cfg.model if where == 'model' else cfg.model[where]
        vision, text = recognizer.backbone, head.text_encoder
        for key in ('arch', 'pretrained', 'quick_gelu'):
            assert vision[key] == text[key], f'{name} {where}: {key}'
        assert vision.n_ctx == text.prompt_learner.n_ctx, f'{name} {where}'
        assert recognizer.data_preprocessor == CLIP_PREPROCESSING, f'{name} {where}'


def test_metafile_lists_every_config_as_it_is(monkeypatch):
    import yaml
    monkeypatch.delenv('VTD_DEMO_DATA', raising=False)  # the configs' default data paths
    with open(os.path.join(CONFIG_DIR, 'metafile.yml')) as f:
        models = {m['Config']: m for m in yaml.safe_load(f)['Models']}
    assert sorted(models) == [f'configs/{n}.py' for n in CONFIGS]
    for name in CONFIGS:
        cfg, meta = load(name), models[f'configs/{name}.py']['Metadata']
        model = cfg.model.get('student', cfg.model)
        assert meta['Epochs'] == cfg.train_cfg.max_epochs, name
        assert meta['Training Data'] == cfg.train_dataloader.dataset.ann_file, name
        assert meta.get('Batch Size') == cfg.get('effective_batch_size'), name
        if 'Frames' in meta:
            assert meta['Frames'] == model.cls_head.num_frames, name
