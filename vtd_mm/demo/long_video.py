"""Long videos of the demo world with known boundaries: class segments
joined by gaps that show no class, for evaluating timelines."""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .world import video_frames


def gap_frames(rng: np.random.Generator, count: int, size: int) -> List[np.ndarray]:
    """``count`` frames about no class: a held blank or noise frame, or
    flickering noise."""
    kind = rng.integers(3)
    if kind == 0:
        return [np.full((size, size, 3), rng.integers(0, 256), np.uint8)] * count
    if kind == 1:
        return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8)] * count
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(count)]


def long_video(names: Sequence[str], rng: np.random.Generator, fps: int = 8,
               segment_s: Tuple[float, float] = (4.0, 8.0), gap_s: Tuple[float, float] = (0.0, 4.0),
               size: int = 32) -> Tuple[List[np.ndarray], List[Dict]]:
    """Frames of one long video: a segment of each class of ``names`` in turn
    (length drawn from ``segment_s`` seconds), each followed by a gap (length
    drawn from ``gap_s``; 0 joins two classes directly).

    Returns:
        (frames, truth): RGB uint8 frames and the true segments
        ``dict(start, end, label)`` in seconds (gaps: label None).
    """
    frames, truth = [], []
    for name in names:
        for label, (low, high) in ((name, segment_s), (None, gap_s)):
            count = int(round(rng.uniform(low, high) * fps))
            if count == 0:
                continue
            start = len(frames) / fps
            frames += (list(video_frames(label, rng, num_frames=count, size=size))
                       if label is not None else gap_frames(rng, count, size))
            truth.append(dict(start=start, end=len(frames) / fps, label=label))
    return frames, truth
