"""Drawing: frame strips with each frame's token and weight, annotated videos."""
from .frame_strips import draw_strip, read_frames, save_frame_strip, write_annotated_video

__all__ = ['draw_strip', 'read_frames', 'save_frame_strip', 'write_annotated_video']
