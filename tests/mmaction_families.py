"""MMAction2 1.2.0's recognizer families as the installed package ships their
configs (``mmaction::`` bases), with a VTDHead (or another head) swapped in,
made small enough for a CPU test: crops of 64 px instead of 224 (every size
of the pipelines scaled by 64/224, their structure kept: clip counts, crops,
flips), random backbone weights, a tiny text tower, a generated video list.

Each entry: the config, the backbone channels the head takes, the frames
(time steps) per training clip after the backbone (per test view too,
unless ``test_frames`` says otherwise), and the changes: those a
user makes besides the head (``model``: merged into the backbone config;
``head``: VTDHead arguments; ``optim_wrapper``: merged into the config's own)
and those of this test only (``small``: smaller widths and depths of the
transformer backbones, merged into the backbone config; C3D's flattened
width at 32 px crops).
"""
import copy
import inspect
import os.path as osp

from mmaction.registry import MODELS
from mmengine.config import Config

from vtd_mm.engine import prepare_config

from .conftest import TINY_ARCH

SCALE = 64 / 224
TSM_CONSTRUCTOR = dict(constructor='VTDOptimWrapperConstructor',
                       paramwise_cfg=dict(family='TSMOptimWrapperConstructor', fc_lr5=True))

FAMILIES = {
    # name: (config under mmaction::recognition/, channels, frames, changes)
    'tsn': ('tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb.py',
            2048, 8, dict(head=dict(num_frames=None), test_frames=25 * 10)),
    'tsm': ('tsm/tsm_imagenet-pretrained-r50_8xb16-1x1x8-50e_kinetics400-rgb.py',
            2048, 8, dict(optim_wrapper=TSM_CONSTRUCTOR)),
    'tsm_mobilenetv2': (
        'tsm/tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py',
        1280, 8, dict(optim_wrapper=TSM_CONSTRUCTOR)),
    'tanet': ('tanet/tanet_imagenet-pretrained-r50_8xb8-dense-1x1x8-100e_kinetics400-rgb.py',
              2048, 8, dict(optim_wrapper=TSM_CONSTRUCTOR)),
    'slowonly': ('slowonly/slowonly_imagenet-pretrained-r50_8xb16-4x16x1-steplr-150e_'
                 'kinetics400-rgb.py', 2048, 4, {}),
    'slowfast': ('slowfast/slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb.py', 2048 + 256, 4, {}),
    'i3d': ('i3d/i3d_imagenet-pretrained-r50_8xb8-32x2x1-100e_kinetics400-rgb.py',
            2048, 4, {}),
    'x3d': ('x3d/x3d_s_13x6x1_facebook-kinetics400-rgb.py', 432, 13, {}),
    'c3d': ('c3d/c3d_sports1m-pretrained_8xb30-16x1x1-45e_ucf101-rgb.py', 4096, 1,
            dict(head=dict(num_frames=None), small=dict(out_dim=2048))),
    'r2plus1d': ('r2plus1d/r2plus1d_r34_8xb8-8x8x1-180e_kinetics400-rgb.py', 512, 1, {}),
    'swin': ('swin/swin-tiny-p244-w877_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py',
             192, 16, dict(small=dict(arch=dict(embed_dims=24, depths=[1, 1, 1, 1],
                                                num_heads=[1, 1, 2, 2])))),
    'timesformer': ('timesformer/timesformer_divST_8xb8-8x32x1-15e_kinetics400-rgb.py',
                    96, 8, dict(model=dict(type='TimeSformerFrames'),
                                small=dict(embed_dims=96, num_heads=4, num_transformer_layers=2))),
    'videomae': ('videomae/vit-base-p16_videomae-k400-pre_16x4x1_kinetics-400.py',
                 96, 8, dict(model=dict(return_feat_map=True),
                             small=dict(embed_dims=96, num_heads=4, depth=2))),
    'uniformerv2': ('uniformerv2/uniformerv2-base-p16-res224_clip_8xb32-u8_kinetics400-rgb.py',
                    96, 8, dict(model=dict(type='UniFormerV2Frames'),
                                small=dict(width=96, layers=4, heads=4, n_layers=2, n_dim=96,
                                           n_head=4, return_list=[2, 3],
                                           mlp_dropout=[0.5, 0.5], clip_pretrained=False))),
    'mvit': ('mvit/mvit-small-p244_32xb16-16x4x1-200e_kinetics400-rgb.py', 192, 8,
             dict(small=dict(arch=dict(embed_dims=24, num_layers=4, num_heads=1,
                                       downscale_indices=[1, 2, 3])))),
}

# image sizes of the pipelines' transforms
_SIZE_KEYS = ('scale', 'crop_size', 'size', 'input_size', 'scale_range')


def _scaled(value, factor):
    if isinstance(value, (list, tuple)):
        return type(value)(_scaled(v, factor) for v in value)
    if isinstance(value, int) and value > 0:
        return max(1, round(value * factor))
    return value


def small_pipeline(pipeline, factor):
    """The pipeline with its image sizes scaled by ``factor``; transforms of
    packages outside the pinned stack (pytorchvideo's) left out."""
    out = []
    for t in copy.deepcopy(pipeline):
        if t['type'] == 'PytorchVideoWrapper':
            continue
        for key in _SIZE_KEYS:
            if key in t and not (t['type'] == 'Resize' and key == 'scale' and
                                 isinstance(t[key], float)):
                t[key] = _scaled(t[key], factor)
        if t['type'] in ('DecordInit', 'OpenCVInit', 'PyAVInit'):
            t = dict(type='DecordInit')
        elif t['type'] in ('OpenCVDecode', 'PyAVDecode'):
            t = dict(type='DecordDecode')
        out.append(t)
    return out


def _training_from_test(cfg):
    """X3D and VideoMAE ship test configs only: train on the test pipeline's
    sampling with one clip and a centre crop, with MMAction2's SGD schedule."""
    pipeline = []
    for t in copy.deepcopy(cfg.test_pipeline):
        if t['type'] == 'SampleFrames':
            t.update(num_clips=1, test_mode=False)
        elif t['type'] in ('ThreeCrop', 'TenCrop'):
            t = dict(type='CenterCrop', crop_size=t['crop_size'])
        pipeline.append(t)
    cfg.train_dataloader = dict(copy.deepcopy(cfg.test_dataloader),
                                sampler=dict(type='DefaultSampler', shuffle=True))
    cfg.train_dataloader.dataset.update(pipeline=pipeline, test_mode=False)
    base = Config.fromfile(osp.join(osp.dirname(__file__), 'configs', 'mmaction_sgd.py'))
    cfg.optim_wrapper, cfg.param_scheduler = base.optim_wrapper, base.param_scheduler
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)


def vtd_head(channels, num_frames, class_names, **changes):
    return dict(type='VTDHead', num_classes=len(class_names), in_channels=channels,
                num_frames=num_frames, class_names=list(class_names),
                text_encoder=dict(type='CLIPTextEncoder', arch=copy.deepcopy(TINY_ARCH),
                                  pretrained=None,
                                  prompt_learner=dict(type='TextPromptLearner', n_ctx=2, depth=2)),
                fusion=dict(type='ConfidenceAwareFusion', num_heads=4, attn_drop=0.0),
                **changes)


def family_config(name, tmp_dir, ann_file, video_dir, head=None):
    """The family's config as a user writes it (a file inheriting MMAction2's,
    ``custom_imports``, the head swapped), made small, on the given list.
    ``head``: None for a VTDHead, ``'own'`` for the family's own head over
    the same two classes, or a head config."""
    path, channels, frames, changes = FAMILIES[name]
    cfg_file = osp.join(str(tmp_dir), f'{name}_vtd.py')
    with open(cfg_file, 'w') as f:
        f.write(f"_base_ = ['mmaction::recognition/{path}']\n"
                "custom_imports = dict(imports=['vtd_mm'], allow_failed_imports=False)\n")
    cfg = Config.fromfile(cfg_file)
    if 'train_dataloader' not in cfg:
        _training_from_test(cfg)
    factor = SCALE
    if head is None:
        head = vtd_head(channels, frames, ('red square', 'green square'))
        head.update(changes.get('head', {}))
    elif head == 'own':
        head = dict(cfg.model.cls_head, num_classes=2)
    cfg.model.cls_head = head
    blending = cfg.model.data_preprocessor.get('blending')
    if blending:  # mixup / cutmix make soft labels over the label set
        for augment in blending.get('augments', [blending]):
            augment.num_classes = head['num_classes']
    backbone = cfg.model.backbone
    if head['type'] == 'VTDHead':
        backbone.update(copy.deepcopy(changes.get('model', {})))
    backbone.update(copy.deepcopy(changes.get('small', {})))
    if 'pretrained2d' in inspect.signature(MODELS.get(backbone.type)).parameters:
        backbone.pretrained2d = False
    backbone.pop('init_cfg', None)
    if 'pretrained' in backbone:
        backbone.pretrained = None
    for key in ('img_size', 'input_resolution', 'spatial_size'):
        if key in backbone:
            backbone[key] = _scaled(backbone[key], factor)
    if 'optim_wrapper' in changes and head['type'] == 'VTDHead':
        cfg.optim_wrapper.update(copy.deepcopy(changes['optim_wrapper']))
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':  # needs a GPU
        cfg.optim_wrapper.type = 'OptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
    for key in ('train_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.update(batch_size=1, num_workers=0, persistent_workers=False)
        loader.dataset.update(ann_file=ann_file, data_prefix=dict(video=video_dir))
        loader.dataset.pipeline = small_pipeline(loader.dataset.pipeline, factor)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_evaluator = dict(type='AccMetric')
    cfg.test_cfg = dict(type='TestLoop')
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.pop('load_from', None)
    cfg.pop('auto_scale_lr', None)
    cfg.randomness = dict(seed=0)  # MMAction2's configs leave the seed random
    return prepare_config(cfg, cfg_file, work_dir=osp.join(str(tmp_dir), f'work_{name}'))
