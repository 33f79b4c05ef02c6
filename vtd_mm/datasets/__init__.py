from .class_names import LABEL_DIR, load_class_names
from .transforms import VideoRandomGrayscale

__all__ = ['LABEL_DIR', 'VideoRandomGrayscale', 'load_class_names']
