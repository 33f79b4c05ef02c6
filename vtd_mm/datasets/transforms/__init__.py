from .frame_times import FrameTimes

__all__ = ['FrameTimes']
