from .clip import *  # noqa: F401,F403
from .heads import VTDHead
from .necks import ConfidenceAwareFusion

__all__ = [
    'CLIPTextEncoder', 'CLIPVisionBackbone', 'ConfidenceAwareFusion',
    'TextPromptLearner', 'VTDHead'
]
