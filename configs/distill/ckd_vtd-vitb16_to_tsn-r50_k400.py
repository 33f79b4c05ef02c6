# CKD across model families: VTD-CLIP ViT-B/16 (teacher, CLIP normalisation)
# -> TSN ResNet-50 (student, ImageNet normalisation) on Kinetics-400, 16 segments.
# Each side normalises the same clip with its own data preprocessor.
_base_ = ['../vtd_k400_8x16.py']

student = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNet', depth=50, pretrained='torchvision://resnet50', norm_eval=False),
    cls_head=dict(type='TSNHead', num_classes=400, in_channels=2048, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.4,
                  init_std=0.01, average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'))

model = dict(
    _delete_=True,
    type='RecognizerDistiller',
    student=student,
    teacher=_base_.model,
    # the last checkpoint of `python tools/train.py configs/vtd_k400_8x16.py` (80 epochs)
    teacher_checkpoint='work_dirs/vtd_k400_8x16/epoch_80.pth',
    distill_losses=dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0)))

# the whole student trains: SGD as for TSN
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=40, norm_type=2))
