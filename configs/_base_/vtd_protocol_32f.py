# What the zero-shot, few-shot and base-to-novel configs share: VTD-CLIP on
# CLIP ViT-B/16 with 32 frames per clip, one view at test (segment centres,
# resize 256, centre crop 224), the authors' AdamW schedule and augmentation.
# Data as in docs/protocols.md: ViFi-CLIP's split lists under data/splits, the
# label files shipped in vtd_mm/datasets/labels. Every dataset names its label
# set (metainfo=dict(classes=...)); LabelSetHook gives it to the model, so a
# checkpoint is tested on other label sets without editing the model part.
_base_ = [
    'models/vtd_clip_vit_b16.py', 'datasets/video_list_dataset.py',
    'schedules/vtd_adamw_warmup_cosine.py', 'default_runtime.py'
]

num_frames = 32
# the fully supervised recipe's augmentation, with 32 frames and one test view
train_pipeline = [
    dict(type='DecordInit', io_backend='disk'),
    dict(type='UniformSample', clip_len=num_frames),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, .875, .75, .66),
         random_crop=False, max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomApply', prob=0.8, transforms=[
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
    dict(type='TorchVisionWrapper', op='RandomGrayscale', p=0.2),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', io_backend='disk'),
    dict(type='UniformSample', clip_len=num_frames, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
test_pipeline = val_pipeline

model = dict(cls_head=dict(num_frames=num_frames))
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
# tools/test.py runs every set of test_sets (if any): metrics '<set>/acc/top1'
test_cfg = dict(type='NamedSetsTestLoop')
