from .checked_video_dataset import BrokenVideoError, CheckedVideoDataset
from .class_names import LABEL_DIR, class_names_from_metainfo, load_class_names
from .transforms import FrameTimes

__all__ = ['BrokenVideoError', 'CheckedVideoDataset', 'FrameTimes', 'LABEL_DIR',
           'class_names_from_metainfo', 'load_class_names']
