"""CLIP towers with deep prompts on open_clip weights."""
from .arch import CLIPArch, infer_arch, resolve_arch
from .prompt_learner import TextPromptLearner
from .text import CLIPTextEncoder
from .tower_builder import build_tower
from .vision import CLIPVisionBackbone
from .weight_cache import clear_cache

__all__ = [
    'CLIPArch', 'CLIPTextEncoder', 'CLIPVisionBackbone', 'TextPromptLearner',
    'build_tower', 'clear_cache', 'infer_arch', 'resolve_arch'
]
