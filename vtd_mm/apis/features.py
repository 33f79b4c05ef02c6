"""Embeddings of every sampled frame and every window of a video, with the
frame tokens: for search, clustering or a model of one's own."""
from typing import Dict, Optional

import numpy as np
import torch.nn.functional as F

from ..datasets.video_windows import VideoWindows
from .timeline import run_windows, vtd_head_of


def video_features(model, path: str, sample_fps: float = 2.0, stride: Optional[int] = None,
                   batch_size: int = 8, progress: bool = False, workers: int = 0,
                   precision: str = 'fp32') -> Dict[str, np.ndarray]:
    """Frame and window (clip) embeddings of one video, read window by window.

    Windows of the model's ``num_frames`` sampled frames (``sample_fps``)
    start every ``stride`` sampled frames (default: one window, no overlap).
    A frame's embedding is the VTD head's frame feature (the vision tower's
    output, projected to the text width where they differ), taken from the
    first window that holds it; its token and weight are read against the
    model's current label set. A window's embedding is the mean of its
    frames' L2-normalised embeddings (not normalised again). ``workers`` and
    ``precision``: see :func:`~vtd_mm.apis.timeline.run_windows`.

    Returns:
        dict of arrays: ``frame_embeddings`` [N, D] float32, ``frame_times``
        [N] (s), ``frame_indices`` [N] (video frame), ``frame_tokens`` [N]
        (class id the frame reads as), ``frame_weights`` [N] (its confidence
        weight for its window's best class), ``clip_embeddings`` [W, D],
        ``clip_times`` [W, 2] (start of the first frame, end of the last),
        ``clip_tokens`` [W] (the window's video token), ``clip_scores`` [W, K]
        (class probabilities); and ``duration`` (s).
    """
    head, length = vtd_head_of(model)
    windows = VideoWindows(path, length, sample_fps, stride or length)
    n = len(windows.indices)
    ends = np.append(windows.times[1:], windows.duration)
    frames = tokens = weights = None
    seen = np.zeros(n, dtype=bool)
    clips = dict(clip_embeddings=[], clip_times=[], clip_tokens=[], clip_scores=[])
    for batch, out in run_windows(model, windows, batch_size, progress, workers, precision):
        feats = out['frames'].float()                                     # [B, T, D]
        if frames is None:
            frames = np.zeros((n, feats.shape[-1]), np.float32)
            tokens, weights = np.zeros(n, np.int64), np.zeros(n, np.float32)
        probs = out['logits'].float().softmax(-1)                         # [B, K]
        best = probs.argmax(-1)
        unit = F.normalize(feats, dim=-1)
        for b, w in enumerate(batch):
            new = ~seen[w.positions]
            rows = w.positions[new]
            frames[rows] = feats[b].numpy()[new]
            tokens[rows] = out['frame_tokens'][b].numpy()[new]
            weights[rows] = out['weights'][b, :, best[b]].float().numpy()[new]
            seen[rows] = True
            clips['clip_embeddings'].append(unit[b].mean(0).numpy())
            clips['clip_times'].append((w.times[0], ends[w.positions[-1]]))
            clips['clip_tokens'].append(int(out['video_token'][b]))
            clips['clip_scores'].append(probs[b].numpy())
    result = dict(frame_embeddings=frames, frame_times=windows.times,
                  frame_indices=windows.indices, frame_tokens=tokens, frame_weights=weights)
    result.update({k: np.asarray(v) for k, v in clips.items()})
    result['duration'] = windows.duration
    return result
