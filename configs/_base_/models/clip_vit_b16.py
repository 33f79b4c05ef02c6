# CLIP ViT-B/16 towers with deep prompts (16 tokens, all 12 layers), as used by
# VTD-CLIP's fully supervised setting, on OpenAI's weights: put the file at the
# path below, or set model.backbone.pretrained and
# model.cls_head.text_encoder.pretrained to another path (None: random weights).

clip_arch = 'ViT-B-16'
clip_pretrained = 'checkpoints/ViT-B-16.pt'
# OpenAI's CLIP was trained with QuickGELU (open_clip's 'ViT-B-16' defaults to
# GELU); stated here so that both towers use it whatever file is given.
clip_quick_gelu = True

vision_backbone = dict(
    type='CLIPVisionBackbone',
    arch=clip_arch,
    pretrained=clip_pretrained,
    quick_gelu=clip_quick_gelu,
    n_ctx=16,
    depth=12,
    freeze_clip=True,
    with_cp=False)

text_encoder = dict(
    type='CLIPTextEncoder',
    arch=clip_arch,
    pretrained=clip_pretrained,
    quick_gelu=clip_quick_gelu,
    prompt_learner=dict(type='TextPromptLearner', n_ctx=16, depth=12),
    template='{}.',
    mode='shared_prefix')
