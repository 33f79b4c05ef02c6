from .backbones import TimeSformerFrames, UniFormerV2Frames
from .clip import (
                   CLIPArch,
                   CLIPTextEncoder,
                   CLIPVisionBackbone,
                   TextPromptLearner,
                   build_tower,
                   clear_cache,
                   infer_arch,
                   resolve_arch,
)
from .distill import RecognizerDistiller
from .heads import VTDHead
from .losses import CKDLoss, DISTLoss, KDLoss
from .necks import ConfidenceAwareFusion

__all__ = [
    'CKDLoss', 'CLIPArch', 'CLIPTextEncoder', 'CLIPVisionBackbone', 'ConfidenceAwareFusion',
    'DISTLoss', 'KDLoss', 'RecognizerDistiller', 'TextPromptLearner', 'TimeSformerFrames',
    'UniFormerV2Frames', 'VTDHead', 'build_tower', 'clear_cache', 'infer_arch', 'resolve_arch'
]
