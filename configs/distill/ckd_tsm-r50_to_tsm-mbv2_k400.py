# CKD: TSM ResNet-50 (teacher, MMAction2's tsm_imagenet-pretrained-r50_8xb16-
# 1x1x8-100e_kinetics400-rgb, 73.22 top-1) -> TSM MobileNetV2 (student) on
# Kinetics-400, 8 segments: the pair of published DIST results (student
# 68.71 -> 69.60 top-1), for comparison. The student's recipe (data,
# pipelines, schedule, optimizer) is MMAction2's MobileNetV2-TSM config,
# inherited as it is. Swap distill_losses to dict(dist=dict(type='DISTLoss'))
# or dict(kd=dict(type='KDLoss')) for the baselines.
_base_ = ['mmaction::recognition/tsm/'
          'tsm_imagenet-pretrained-mobilenetv2_8xb16-1x1x8-100e_kinetics400-rgb.py']

custom_imports = dict(imports=['vtd_mm'], allow_failed_imports=False)

# MMAction2's TSM-R50 (its _base_/models/tsm_r50.py) on the student's input;
# its weights come from teacher_checkpoint
teacher = dict(
    _base_.model,
    backbone=dict(type='ResNetTSM', depth=50, norm_eval=False, shift_div=8, pretrained=None),
    cls_head=dict(_base_.model.cls_head, in_channels=2048))

model = dict(
    _delete_=True,
    type='RecognizerDistiller',
    student=_base_.model,
    teacher=teacher,
    teacher_checkpoint='checkpoints/tsm_r50_k400.pth',
    distill_losses=dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0)))

# videos that fail to decode are named (CheckedVideoDataset) instead of
# stopping a worker with decord's error; MMAction2's TSM optimizer constructor
# sees only the student (the teacher is hidden)
train_dataloader = dict(dataset=dict(type='CheckedVideoDataset'))
val_dataloader = dict(dataset=dict(type='CheckedVideoDataset'))
test_dataloader = dict(dataset=dict(type='CheckedVideoDataset'))
