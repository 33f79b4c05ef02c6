# VTD-CLIP on CLIP ViT-B/16: prompted towers + codebook head + fusion. The
# frames per view (cls_head.num_frames) belong to the recipe: the config that
# sets the pipelines sets it too (vtd_k400_8x16.py, _base_/vtd_protocol_32f.py).
_base_ = ['clip_vit_b16.py']

model = dict(
    type='Recognizer2D',
    backbone={{_base_.vision_backbone}},
    cls_head=dict(
        type='VTDHead',
        num_classes=400,
        in_channels=512,
        class_names='kinetics_400_labels.csv',
        text_encoder={{_base_.text_encoder}},
        fusion=dict(type='ConfidenceAwareFusion', num_heads=8, mlp_ratio=4.0, attn_drop=0.1),
        temperature=0.01,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        # CLIP's normalisation, in 0-255 pixel units
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        format_shape='NCHW'))
