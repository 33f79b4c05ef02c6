"""CLIP towers with deep prompts on open_clip weights."""
from .loading import CLIPArch, build_tower, clear_cache, infer_arch, resolve_arch
from .prompt_learner import TextPromptLearner
from .text import CLIPTextEncoder
from .vision import CLIPVisionBackbone

__all__ = [
    'CLIPArch', 'CLIPTextEncoder', 'CLIPVisionBackbone', 'TextPromptLearner',
    'build_tower', 'clear_cache', 'infer_arch', 'resolve_arch'
]
