# CLIP ViT-B/16 towers with deep prompts (16 tokens, all 12 layers), as used by
# VTD-CLIP's fully supervised setting, on OpenAI's weights.
#
# `clip` names the CLIP file once; both towers read it (two different files
# would put frames and class names in two embedding spaces: vtd_mm warns,
# naming both). Put OpenAI's ViT-B-16.pt at checkpoints/, or point both towers
# elsewhere on the command line:
#     --cfg-options model.backbone.pretrained=P model.cls_head.text_encoder.pretrained=P
# (a child config that sets `clip` again does not reach the dicts built here;
# mmengine evaluates this file first).
# OpenAI's CLIP was trained with QuickGELU (open_clip's 'ViT-B-16' defaults to
# GELU); stated here so that both towers use it whatever file is given.
clip = dict(arch='ViT-B-16', pretrained='checkpoints/ViT-B-16.pt', quick_gelu=True)
# the prompt sizes of the recipe, the same for both towers
prompts = dict(n_ctx=16, depth=12)

vision_backbone = dict(type='CLIPVisionBackbone', **clip, **prompts, freeze_clip=True,
                       with_cp=False)
text_encoder = dict(type='CLIPTextEncoder', **clip,
                    prompt_learner=dict(type='TextPromptLearner', **prompts),
                    template='{}.', mode='shared_prefix')
