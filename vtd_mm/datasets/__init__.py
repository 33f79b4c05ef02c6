from .class_names import LABEL_DIR, load_class_names

__all__ = ['LABEL_DIR', 'load_class_names']
