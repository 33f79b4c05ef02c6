"""The embedded demo world: synthetic videos, a tiny CLIP, and the runs."""
from .tiny_clip import TINY_CLIP_ARCH, WEIGHTS
from .world import base_novel_split, class_names

__all__ = ['TINY_CLIP_ARCH', 'WEIGHTS', 'base_novel_split', 'class_names']
