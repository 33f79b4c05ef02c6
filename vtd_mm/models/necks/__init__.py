from .fusion import ConfidenceAwareFusion

__all__ = ['ConfidenceAwareFusion']
