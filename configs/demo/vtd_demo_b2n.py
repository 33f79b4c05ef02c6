# VTD-CLIP in the embedded demo world, base-to-novel: trained on the 16 base
# colour-shape classes, evaluated on base and on the 8 novel (unseen) pairs.
# The tiny CLIP ships with vtd_mm (pretrained by tools/demo/pretrain_tiny_clip.py),
# found relative to this file; the label sets are the package's demo_world_*.txt.
# Data: `python tools/demo/run_demo.py` generates it, or set VTD_DEMO_DATA.
_base_ = ['../_base_/default_runtime.py', '../_base_/models/clip_preprocessing.py']

data_root = '{{$VTD_DEMO_DATA:data/demo_world}}'
clip_arch = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=32, patch_size=8, width=96, layers=3, head_width=32),
    text_cfg=dict(context_length=16, vocab_size=49408, width=64, heads=2, layers=3))
clip_weights = '{{fileDirname}}/../../vtd_mm/demo/weights/tiny_clip_world.pt'
clip_quick_gelu = True  # the tiny CLIP is trained with QuickGELU, as OpenAI's
num_frames = 8
prompts = dict(n_ctx=4, depth=3)
# the label set of training and validation, and of the test loader
train_labels = dict(classes='demo_world_base.txt')
test_labels = dict(classes='demo_world_base.txt')

model = dict(
    type='Recognizer2D',
    backbone=dict(type='CLIPVisionBackbone', arch=clip_arch, pretrained=clip_weights,
                  quick_gelu=clip_quick_gelu, **prompts),
    cls_head=dict(
        type='VTDHead', num_frames=num_frames, class_names=train_labels['classes'],
        text_encoder=dict(type='CLIPTextEncoder', arch=clip_arch, pretrained=clip_weights,
                          quick_gelu=clip_quick_gelu, template='a {}.',
                          prompt_learner=dict(type='TextPromptLearner', **prompts,
                                              ctx_init='a photo of a')),
        fusion=dict(type='ConfidenceAwareFusion', num_heads=4, attn_drop=0.1),
        temperature=0.01))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames),
    dict(type='DecordDecode'),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
# resize + centre crop: the demo's 32x32 videos pass unchanged, a user's own
# video of any size is brought to the tiny CLIP's input
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 32)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]


# workers end with each epoch: a persistent worker would outlive its Runner
# (the demo runs several in one process) and stall the next one
train_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/train_base.txt',
                 metainfo=train_labels, data_prefix=dict(video=f'{data_root}/videos'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/val_base.txt',
                 metainfo=train_labels, data_prefix=dict(video=f'{data_root}/videos'),
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = dict(
    batch_size=16, num_workers=2, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/test_base.txt',
                 metainfo=test_labels, data_prefix=dict(video=f'{data_root}/videos'),
                 pipeline=test_pipeline, test_mode=True))
# Base-to-novel evaluation (tools/test_protocol.py; tools/demo/run_demo.py):
# the label set of each test set comes from its label file (LabelSetHook); the
# model part stays as trained. The world's test copies: clean, and with 25% /
# 50% of the frames uninformative or of another class
# (vtd_mm.demo.dataset.CONDITIONS). tools/test.py tests test_dataloader alone.
conditions = ('', '_uninformative25', '_uninformative50', '_other25', '_other50')
test_sets = [
    dict(name=f'{subset}{suffix}', group=f'{subset}{suffix}',
         dataset=dict(ann_file=f'{data_root}/test_{subset}{suffix}.txt',
                      metainfo=dict(classes=f'demo_world_{subset}.txt')))
    for suffix in conditions for subset in ('base', 'novel')
]
val_evaluator = dict(type='AccMetric', metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                     metric_options=dict(top_k_accuracy=dict(topk=(1, ))))
test_evaluator = val_evaluator

max_epochs = 8
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=4e-3, betas=(0.9, 0.98), weight_decay=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min_ratio=0.05, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1,
                 val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval=max_epochs, save_best=None, max_keep_ckpts=2))
randomness = dict(seed=0)
