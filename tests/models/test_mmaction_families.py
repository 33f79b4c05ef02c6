"""VTDHead after every recognizer family of MMAction2 1.2.0, on the family's
own config: one training step through the Runner with the config's optimizer
constructor and policies, one test batch through its test pipeline."""
import copy
import math
import os

import pytest
import torch
from mmengine.runner import Runner

from ..conftest import TINY_ARCH
from ..mmaction_families import FAMILIES, TSM_CONSTRUCTOR, family_config
from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset


@pytest.fixture(scope='module')
def video_list(tmp_path_factory):
    root = tmp_path_factory.mktemp('families')
    lists = make_dataset(str(root / 'data'), classes=('red', 'green'), per_class=1,
                         num_frames=48, size=(40, 56), splits=('train',))
    one = root / 'one_video.txt'  # one training iteration at batch size 1
    with open(lists['train']) as f:
        one.write_text(f.readline())
    return root, str(one), lists['train'], str(root / 'data' / 'videos')


def group_of(optimizer, param):
    return next(g for g in optimizer.param_groups if any(p is param for p in g['params']))


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_vtd_head_trains_and_predicts(family, video_list, tmp_path):
    root, train_list, test_list, video_dir = video_list
    cfg = family_config(family, tmp_path, train_list, video_dir)
    cfg.test_dataloader.dataset.ann_file = test_list
    base_lr = cfg.optim_wrapper.optimizer.lr
    runner = Runner.from_cfg(cfg)
    head = runner.model.cls_head
    ctx = head.text_encoder.prompt_learner.ctx
    before = ctx.detach().clone()
    frozen = head.text_encoder.text.token_embedding.weight.detach().clone()
    runner.train()
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss)
    print(f'{family}: one-iteration loss {loss:.4f}')
    optimizer = runner.optim_wrapper.optimizer
    # the prompts and the logit scale train, at the configured learning rate
    assert not torch.equal(ctx.detach(), before)
    assert group_of(optimizer, ctx)['lr'] == pytest.approx(base_lr, rel=1e-12)
    assert group_of(optimizer, head.logit_scale)['lr'] == pytest.approx(base_lr, rel=1e-12)
    assert torch.equal(head.text_encoder.text.token_embedding.weight, frozen)
    # the test pipeline as the config writes it: views of the frames, tokens per frame
    loader = Runner.build_dataloader(cfg.test_dataloader)
    sample = runner.model.test_step(next(iter(loader)))[0]
    frames = FAMILIES[family][3].get('test_frames', FAMILIES[family][2])
    tokens = sample.frame_tokens
    assert tokens.shape[1] == frames
    assert sample.frame_weights.shape == tokens.shape
    assert sample.pred_score.shape == (2, )
    assert torch.isfinite(sample.pred_score).all()
    assert len(sample.frame_token_names[0]) == frames


@pytest.mark.parametrize('teacher,student,student_cfg', [
    # a 3D teacher, a 2D student with TSN's consensus, on the teacher's clips
    ('i3d', 'tsn', dict(student_input=dict(clip_len=32, num_frames=8))),
    # two pathways teach TSM (MMAction2's TSM constructor, its 8 segments)
    ('slowfast', 'tsm_mobilenetv2', dict(student_input=dict(clip_len=32, num_frames=8))),
])
def test_distillation_across_families(teacher, student, student_cfg, video_list, tmp_path):
    root, train_list, test_list, video_dir = video_list
    cfg = family_config(teacher, tmp_path, test_list, video_dir, head='own')
    student_model = family_config(student, tmp_path, test_list, video_dir, head='own')
    cfg.model = dict(type='RecognizerDistiller', student=student_model.model,
                     teacher=cfg.model, distill_losses=dict(ckd=dict(type='CKDLoss')),
                     **student_cfg)
    cfg.optim_wrapper = student_model.optim_wrapper  # the student's recipe
    cfg.train_dataloader.batch_size = 2  # CKD contrasts the samples of a batch
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    losses = {k: runner.message_hub.get_scalar(f'train/{k}').current()
              for k in ('loss_cls', 'loss_ckd')}
    assert all(math.isfinite(v) for v in losses.values())
    print(f'{teacher} -> {student}: {losses}')
    loader = Runner.build_dataloader(cfg.test_dataloader)
    sample = runner.model.test_step(next(iter(loader)))[0]
    assert sample.pred_score.shape == (2, ) and torch.isfinite(sample.pred_score).all()


@pytest.mark.parametrize('family', ['tsn', 'tsm', 'i3d'])
def test_clip_backbone_with_mmaction2_heads(family, video_list, tmp_path):
    """CLIPVisionBackbone in MMAction2's TSN / TSM (2D) and I3D (3D) configs,
    their own heads with their default settings."""
    root, train_list, test_list, video_dir = video_list
    cfg = family_config(family, tmp_path, train_list, video_dir, head='own')
    cfg.test_dataloader.dataset.ann_file = test_list
    arch = copy.deepcopy(TINY_ARCH)
    arch['vision_cfg'].update(image_size=64, patch_size=16)   # the pipelines' 64 px crops
    cfg.model.backbone = dict(type='CLIPVisionBackbone', arch=arch, n_ctx=2, depth=2)
    cfg.model.cls_head.in_channels = arch['embed_dim']
    if family == 'tsm':  # TSM's constructor knows no LayerNorm: the frozen tower's
        cfg.optim_wrapper.update(copy.deepcopy(TSM_CONSTRUCTOR))
    for t in cfg.test_dataloader.dataset.pipeline:  # I3D tests on 256 px crops: CLIP
        if 'crop_size' in t:                        # takes its own size (224 -> 64 here)
            t.crop_size = 64
        elif t.type == 'Resize' and tuple(t.scale)[0] == -1:
            t.scale = (-1, 64)
    runner = Runner.from_cfg(cfg)
    prompts = runner.model.backbone.prompts.detach().clone()
    runner.train()
    assert not torch.equal(runner.model.backbone.prompts.detach(), prompts)
    assert math.isfinite(runner.message_hub.get_scalar('train/loss').current())
    loader = Runner.build_dataloader(cfg.test_dataloader)
    sample = runner.model.test_step(next(iter(loader)))[0]
    assert sample.pred_score.shape == (2, ) and torch.isfinite(sample.pred_score).all()


def test_tin_needs_mmcv_ops():
    """TIN is not in the matrix: its temporal interlace needs mmcv.ops, which
    mmcv-lite (the pinned stack) does not build (docs/mixing.md)."""
    from mmaction.registry import MODELS
    backbone = MODELS.build(dict(type='ResNetTIN', depth=50, pretrained=None, num_segments=8))
    with pytest.raises(ImportError, match='tin_shift'):
        backbone(torch.zeros(8, 3, 32, 32))


def test_readme_mixing_config(tmp_path):
    """The README's mixing config, as written, builds and gets its optimizer;
    only the CLIP text tower is the tiny one (no ViT-B/16 file here)."""
    import re

    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    readme = open(os.path.join(ROOT, 'README.md')).read()
    section = readme[readme.index('## Using the components in your own model'):]
    snippet = re.search(r'```python\n(.*?)```', section, re.S).group(1)
    path = tmp_path / 'mixed.py'
    path.write_text(snippet)
    cfg = Config.fromfile(str(path))
    assert cfg.model.backbone.type == 'ResNetTSM' and cfg.model.cls_head.type == 'VTDHead'
    cfg.model.cls_head.text_encoder.update(arch=copy.deepcopy(TINY_ARCH), pretrained=None,
                                           quick_gelu=False)
    cfg.model.cls_head.text_encoder.prompt_learner.depth = 3  # the tiny tower's layers
    cfg.model.backbone.pretrained = None
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    ctx = model.cls_head.text_encoder.prompt_learner.ctx
    assert group_of(wrapper.optimizer, ctx)['lr'] == cfg.optim_wrapper.optimizer.lr
    fc = model.cls_head.fusion.fc2.weight  # the last linear layer: fc_lr5
    assert group_of(wrapper.optimizer, fc)['lr'] == 5 * cfg.optim_wrapper.optimizer.lr


def test_optim_wrapper_constructor_guesses_no_rate_for_other_modules():
    """A parameter held directly by a module that is not vtd_mm's (the
    attention's in_proj_weight, TimeSformer's cls_token) is the family's to
    place: left unplaced it is an error, not a group at the base rate."""
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.optim import build_optim_wrapper

    from ..mmaction_families import vtd_head
    register_all_modules(init_default_scope=False)
    model = MODELS.build(dict(
        type='Recognizer3D',
        backbone=dict(type='TimeSformerFrames', num_frames=2, img_size=32, patch_size=16,
                      embed_dims=24, num_heads=2, num_transformer_layers=1, pretrained=None),
        cls_head=vtd_head(24, 2, ('red square', 'green square')),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))
    with pytest.raises(ValueError, match=r'DefaultOptimWrapperConstructor placed no learning '
                                         r'rate for backbone\.transformer_layers\..*in_proj_'
                                         r"weight.*not vtd_mm's"):
        build_optim_wrapper(model, dict(
            optimizer=dict(type='SGD', lr=0.1), constructor='VTDOptimWrapperConstructor',
            paramwise_cfg=dict(family='DefaultOptimWrapperConstructor')))
