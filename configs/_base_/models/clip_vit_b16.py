# CLIP ViT-B/16 towers with deep prompts (16 tokens, all 12 layers), as used by
# VTD-CLIP's fully supervised setting, on OpenAI's weights. Both towers read
# the one file `clip_pretrained`. Put OpenAI's ViT-B-16.pt there, or give
# another file in a config that inherits this one:
#     clip_pretrained = '/weights/ViT-B-16.pt'
#     model = dict(backbone=dict(pretrained=clip_pretrained),
#                  cls_head=dict(text_encoder=dict(pretrained=clip_pretrained)))
# (a variable set in a child config does not reach the dicts built here), or
# on the command line:
#     --cfg-options model.backbone.pretrained=P model.cls_head.text_encoder.pretrained=P
# Two different files for the towers are an error: their features would not
# share one embedding space.

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
