"""Recognition on a stream: a camera, a stream URL or a file played as one."""
import time
from collections import deque
from typing import Callable, Dict, Iterator, Optional, Union

import cv2
import numpy as np
import torch

from ..datasets.video_windows import Window
from .timeline import forward_windows, vtd_head_of, window_pipeline


def open_source(source: Union[int, str]) -> cv2.VideoCapture:
    """OpenCV capture of a camera index (``0`` or ``'0'``), a URL or a file."""
    if isinstance(source, str) and source.isdigit():
        source = int(source)
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise RuntimeError(f'cannot open the stream {source!r}: a camera index, a stream URL '
                           '(rtsp://, http://) or a video file that OpenCV can read.')
    return capture


def stream_results(model, source: Union[int, str], sample_fps: float = 4.0,
                   stride: Optional[int] = None, top_k: int = 3,
                   max_frames: Optional[int] = None,
                   on_frame: Optional[Callable[[np.ndarray, Optional[Dict]], None]] = None,
                   precision: str = 'fp32') -> Iterator[Dict]:
    """Read ``source`` frame by frame; keep a rolling window of the model's
    ``num_frames`` frames sampled at ``sample_fps``; every ``stride`` new
    sampled frames (default: half a window) score the window and yield
    ``dict(time, frame, top_k=[(name, score)], tokens=[name per frame],
    frame_times=[...])`` (``time``: seconds of stream, from the source's
    frame rate, or the wall clock for a camera that does not give one).

    ``on_frame(frame_rgb, latest_result)`` is called for every frame read
    (to draw or show it). Stops at the end of the source or after
    ``max_frames`` frames. The label set is the model head's (see
    :func:`~vtd_mm.apis.label_set`). ``precision``: the forward's, resolved
    (see :func:`~vtd_mm.apis.precision.resolve_precision`).
    """
    head, length = vtd_head_of(model)
    names = list(head.class_names)
    stride = stride or max(length // 2, 1)
    pipeline = window_pipeline(model.cfg)
    capture = open_source(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
    step = max(fps / sample_fps, 1.0) if fps > 0 else 1.0
    buffer, times, indices = deque(maxlen=length), deque(maxlen=length), deque(maxlen=length)
    start, read, sampled, next_sample, latest = time.time(), 0, 0, 0.0, None
    try:
        while max_frames is None or read < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            now = read / fps if fps > 0 else time.time() - start
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            if read >= next_sample:
                next_sample += step
                buffer.append(rgb)
                times.append(now)
                indices.append(read)
                sampled += 1
                if len(buffer) == length and (sampled - length) % stride == 0:
                    window = Window(np.stack(buffer), np.arange(length), np.asarray(indices),
                                    np.asarray(times))
                    out = forward_windows(model, [window], str(source), pipeline, precision)
                    probs = out['logits'][0].float().softmax(-1)
                    top = torch.topk(probs, min(top_k, len(names)))
                    latest = dict(time=round(now, 3), frame=read,
                                  top_k=[(names[int(i)], round(float(p), 4))
                                         for p, i in zip(top.values, top.indices)],
                                  tokens=[names[int(k)] for k in out['frame_tokens'][0]],
                                  frame_times=[round(float(t), 3) for t in times])
                    yield latest
            if on_frame is not None:
                on_frame(rgb, latest)
            read += 1
    finally:
        capture.release()
