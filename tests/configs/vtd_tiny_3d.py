# VTDHead after an MMAction2 3D backbone (SlowOnly-R18, no temporal stride): the
# backbone's 4 output time steps are the frames the head discretises.
_base_ = ['vtd_tiny.py']

num_frames = 4
model = dict(
    _delete_=True,
    type='Recognizer3D',
    backbone=dict(type='ResNet3dSlowOnly', depth=18, pretrained=None, lateral=False,
                  conv1_kernel=(1, 7, 7), conv1_stride_t=1, pool1_stride_t=1,
                  inflate=(0, 0, 1, 1), norm_eval=False),
    cls_head=dict(
        type='VTDHead', num_classes=3, in_channels=512, num_frames=num_frames,
        class_names=['red square', 'green square', 'blue square'],
        text_encoder=dict(type='CLIPTextEncoder', arch={{_base_.tiny_arch}}, pretrained=None,
                          prompt_learner=dict(type='TextPromptLearner', n_ctx=2, depth=2)),
        fusion=dict(type='ConfidenceAwareFusion', num_heads=4, attn_drop=0.0)),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[122.771, 116.746, 104.094],
                           std=[68.501, 66.632, 70.323], format_shape='NCTHW'))

train_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='RandomCrop', size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='UniformSample', clip_len=num_frames, num_clips=2, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(-1, 32)),
    dict(type='ThreeCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
