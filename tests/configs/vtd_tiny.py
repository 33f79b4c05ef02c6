# A tiny VTD-CLIP for CPU tests: 32 px, 4 frames, 3 classes, 2 epochs.
_base_ = ['../../configs/_base_/default_runtime.py']

tiny_arch = dict(
    embed_dim=32,
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=3, head_width=16),
    text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=3))
clip_pretrained = None
num_frames = 4
data_root = '{{$VTD_TINY_DATA:data/tiny}}'  # the environment variable wins

model = dict(
    type='Recognizer2D',
    backbone=dict(type='CLIPVisionBackbone', arch=tiny_arch, pretrained=clip_pretrained,
                  n_ctx=2, depth=2),
    cls_head=dict(
        type='VTDHead', num_classes=3, in_channels=32, num_frames=num_frames,
        class_names=['red square', 'green square', 'blue square'],
        text_encoder=dict(type='CLIPTextEncoder', arch=tiny_arch, pretrained=clip_pretrained,
                          prompt_learner=dict(type='TextPromptLearner', n_ctx=2, depth=2)),
        fusion=dict(type='ConfidenceAwareFusion', num_heads=4, attn_drop=0.0)),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], format_shape='NCHW'))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='RandomCrop', size=32),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 32)),
    dict(type='ThreeCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]


def _loader(split, pipeline, shuffle, batch_size):
    return dict(
        batch_size=batch_size, num_workers=1, persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/{split}_list.txt',
                     data_prefix=dict(video=f'{data_root}/videos'), pipeline=pipeline,
                     test_mode=not shuffle))


train_dataloader = _loader('train', train_pipeline, True, 2)
val_dataloader = _loader('val', val_pipeline, False, 2)
test_dataloader = _loader('val', test_pipeline, False, 1)
del _loader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.98), weight_decay=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1, eta_min_ratio=0.1, by_epoch=True, begin=1, end=2,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=5))
randomness = dict(seed=0)
