from .timesformer_frames import TimeSformerFrames
from .uniformerv2_frames import UniFormerV2Frames

__all__ = ['TimeSformerFrames', 'UniFormerV2Frames']
