# VTD-CLIP on CLIP ViT-B/16: prompted towers + codebook head + fusion. The
# frames per view (cls_head.num_frames) belong to the recipe: the config that
# sets the pipelines sets it too (vtd_k400_8x16.py, _base_/vtd_protocol_32f.py).
# The head's num_classes and in_channels follow from its label set and the
# CLIP (VTDHead); the label set is Kinetics-400's here.
_base_ = ['clip_vit_b16.py', 'clip_preprocessing.py']

model = dict(
    type='Recognizer2D',
    backbone=_base_.vision_backbone,
    cls_head=dict(
        type='VTDHead',
        class_names='kinetics_400_labels.csv',
        text_encoder=_base_.text_encoder,
        fusion=dict(type='ConfidenceAwareFusion', num_heads=8, mlp_ratio=4.0, attn_drop=0.1),
        temperature=0.01,
        average_clips='prob'))
