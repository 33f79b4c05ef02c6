# CLIP ViT-B/16 towers with deep prompts (16 tokens, all 12 layers), as used by
# VTD-CLIP's fully supervised setting. Put OpenAI's weights at the path below
# (or override clip_pretrained); None gives random weights.

clip_arch = 'ViT-B-16'
clip_pretrained = 'checkpoints/ViT-B-16.pt'

vision_backbone = dict(
    type='CLIPVisionBackbone',
    arch=clip_arch,
    pretrained=clip_pretrained,
    n_ctx=16,
    depth=12,
    freeze_clip=True,
    with_cp=False)

text_encoder = dict(
    type='CLIPTextEncoder',
    arch=clip_arch,
    pretrained=clip_pretrained,
    prompt_learner=dict(type='TextPromptLearner', n_ctx=16, depth=12),
    template='{}.',
    mode='shared_prefix')
