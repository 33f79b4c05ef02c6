from .backbones import TimeSformerFrames, UniFormerV2Frames
from .clip import *  # noqa: F401,F403
from .distill import RecognizerDistiller
from .heads import VTDHead
from .losses import CKDLoss, DISTLoss, KDLoss
from .necks import ConfidenceAwareFusion

__all__ = [
    'CKDLoss', 'CLIPTextEncoder', 'CLIPVisionBackbone', 'ConfidenceAwareFusion', 'DISTLoss',
    'KDLoss', 'RecognizerDistiller',
    'TextPromptLearner', 'TimeSformerFrames', 'UniFormerV2Frames', 'VTDHead'
]
