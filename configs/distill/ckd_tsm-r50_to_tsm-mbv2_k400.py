# CKD: TSM ResNet-50 (teacher) -> TSM MobileNetV2 (student) on Kinetics-400,
# 8 segments: the pair of MMAction2's own distillation results (DIST: student
# 68.71 -> 69.60 top-1, teacher 73.22), for comparison. Swap distill_losses to
# dict(dist=dict(type='DISTLoss')) or dict(kd=dict(type='KDLoss')) for the baselines.
_base_ = ['../_base_/default_runtime.py']

imagenet = dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375], format_shape='NCHW')
model = dict(
    type='RecognizerDistiller',
    student=dict(
        type='Recognizer2D',
        backbone=dict(type='MobileNetV2TSM', num_segments=8, is_shift=True, shift_div=8,
                      pretrained='mmcls://mobilenet_v2'),
        cls_head=dict(type='TSMHead', num_classes=400, in_channels=1280, num_segments=8,
                      spatial_type='avg', consensus=dict(type='AvgConsensus', dim=1),
                      dropout_ratio=0.5, init_std=0.001, is_shift=True, average_clips='prob'),
        data_preprocessor=imagenet),
    teacher=dict(
        type='Recognizer2D',
        backbone=dict(type='ResNetTSM', depth=50, num_segments=8, pretrained=None),
        cls_head=dict(type='TSMHead', num_classes=400, in_channels=2048, num_segments=8,
                      spatial_type='avg', consensus=dict(type='AvgConsensus', dim=1),
                      dropout_ratio=0.5, init_std=0.001, is_shift=True, average_clips='prob'),
        data_preprocessor=imagenet),
    teacher_checkpoint='checkpoints/tsm_r50_k400.pth',
    distill_losses=dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0)))

file_client_args = dict(io_backend='disk')
train_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=224, scales=(1, 0.875, 0.75, 0.66),
         random_crop=False, max_wh_scale_gap=1, num_fixed_crops=13),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='DecordInit', **file_client_args),
    dict(type='SampleFrames', clip_len=1, frame_interval=1, num_clips=8, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCHW'),
    dict(type='PackActionInputs')
]
data_root = 'data/kinetics400'
train_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/kinetics400_train_list_videos.txt',
                 data_prefix=dict(video=f'{data_root}/videos_train'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CheckedVideoDataset', ann_file=f'{data_root}/kinetics400_val_list_videos.txt',
                 data_prefix=dict(video=f'{data_root}/videos_val'), pipeline=val_pipeline,
                 test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min=0, by_epoch=True, begin=5, end=100)
]
# MMAction2's TSM constructor; it sees only the student (the teacher is hidden)
optim_wrapper = dict(
    constructor='TSMOptimWrapperConstructor', paramwise_cfg=dict(fc_lr5=True),
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=4e-5),
    clip_grad=dict(max_norm=20, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=128)
