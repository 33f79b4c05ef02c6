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
# the fully supervised recipe's transforms, with 32 frames and one test view
train_pipeline = [_base_.decode[0], dict(type='UniformSample', clip_len=num_frames),
                  _base_.decode[1], *_base_.train_transforms]
val_pipeline = [_base_.decode[0], dict(type='UniformSample', clip_len=num_frames, test_mode=True),
                _base_.decode[1], *_base_.val_transforms]
test_pipeline = val_pipeline

model = dict(cls_head=dict(num_frames=num_frames))
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(batch_size=8, dataset=dict(pipeline=test_pipeline))
# tools/test.py runs every set of test_sets (if any): metrics '<set>/acc/top1'
test_cfg = dict(type='NamedSetsTestLoop')
