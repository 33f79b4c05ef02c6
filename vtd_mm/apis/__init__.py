"""Python entry points for notebooks and scripts."""
from .init_model import init_recognizer

__all__ = ['init_recognizer']
