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



def _as_3d(pipeline):
    """The 2D pipeline's transforms (no flip) for 4-frame NCTHW clips."""
    out = []
    for t in pipeline:
        if t['type'] == 'UniformSample':
            t = dict(t, clip_len=num_frames)
        elif t['type'] == 'FormatShape':
            t = dict(t, input_format='NCTHW')
        if t['type'] != 'Flip':
            out.append(t)
    return out


train_pipeline = _as_3d(_base_.train_pipeline)
test_pipeline = _as_3d(_base_.test_pipeline)
del _as_3d
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
