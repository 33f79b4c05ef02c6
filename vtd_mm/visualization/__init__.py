"""Drawing: frame strips with each frame's token and weight, annotated videos,
timelines."""
from .frame_strips import (
                           draw_stream_frame,
                           draw_strip,
                           put_lines,
                           read_frames,
                           save_frame_strip,
                           write_annotated_video,
                           write_video_with_lines,
)
from .timeline_figure import draw_timeline, write_timeline_video

__all__ = ['draw_stream_frame', 'draw_strip', 'draw_timeline', 'put_lines', 'read_frames',
           'save_frame_strip', 'write_annotated_video', 'write_timeline_video',
           'write_video_with_lines']
