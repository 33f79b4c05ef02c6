# CKD: VTD-CLIP ViT-L/14 (teacher) -> VTD-CLIP ViT-B/16 (student) on Kinetics-400.
# The student's recipe is configs/vtd_k400_8x16.py; the teacher is a trained
# VTD-CLIP ViT-L/14 checkpoint, which vtd_mm does not ship: set
# teacher_checkpoint to yours. Loss: CE + 10 x CKD.
_base_ = ['../vtd_k400_8x16.py']

teacher_clip = dict(arch='ViT-L-14', pretrained='checkpoints/ViT-L-14.pt', quick_gelu=True)
teacher = dict(
    type='Recognizer2D',
    # prompts of 16 tokens in all 24 vision and all 12 text layers
    backbone=dict(type='CLIPVisionBackbone', **teacher_clip, n_ctx=16, depth=24),
    cls_head=dict(
        type='VTDHead', num_frames=_base_.num_frames, class_names='kinetics_400_labels.csv',
        text_encoder=dict(type='CLIPTextEncoder', **teacher_clip,
                          prompt_learner=dict(type='TextPromptLearner', n_ctx=16, depth=12)),
        fusion=dict(type='ConfidenceAwareFusion', num_heads=8)),
    data_preprocessor=_base_.model.data_preprocessor)  # the same CLIP normalisation

model = dict(
    _delete_=True,
    type='RecognizerDistiller',
    student=_base_.model,
    teacher=teacher,
    teacher_checkpoint='checkpoints/vtd_vitl14_k400.pth',
    distill_losses=dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0)))
