"""A timeline of a long video: which of the user's words happens when."""
import copy
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader

from ..datasets.video_windows import VideoWindows, WindowBatches, collate_windows
from ..engine import label_set_heads
from ..evaluation.segmentation import runs
from .inputs import parse_labels
from .precision import autocast_for
from .vtd_inferencer import SAMPLERS, label_set

BACKGROUND = 'none of these'
MULTI_VIEW_CROPS = ('ThreeCrop', 'TenCrop')


def window_pipeline(cfg) -> Compose:
    """The transforms of the config's test pipeline after decoding, one view
    per window (``ThreeCrop`` / ``TenCrop`` become ``CenterCrop``)."""
    pipeline = copy.deepcopy(cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline)
    decode = max((i for i, t in enumerate(pipeline) if 'Decode' in t['type']), default=None)
    if decode is None:
        raise ValueError('the test pipeline has no decoding step (e.g. DecordDecode): '
                         'the timeline needs the transforms that follow it.')
    after = [dict(t) for t in pipeline[decode + 1:] if t['type'] not in SAMPLERS]
    for t in after:
        if t['type'] in MULTI_VIEW_CROPS:
            t['type'] = 'CenterCrop'
    return Compose(after)


def smooth_scores(scores: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average over ``width`` frames (odd; the edges average
    what there is). ``scores`` [N, K]."""
    if width <= 1:
        return scores
    half = width // 2
    padded = np.pad(scores, ((half, half), (0, 0)))
    counts = np.convolve(np.ones(len(scores)), np.ones(2 * half + 1), 'full')[half:-half or None]
    sums = np.stack([np.convolve(padded[:, k], np.ones(2 * half + 1), 'valid')
                     for k in range(scores.shape[1])], axis=1)
    return sums / counts[:, None]


def segments_from_scores(scores: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                         names: List[str], smooth: int = 1, min_segment: float = 0.0,
                         background: Optional[float] = None,
                         similarity: Optional[np.ndarray] = None) -> List[Dict]:
    """Per-frame class scores [N, K] -> segments ``dict(start, end, label, score)``.

    1. the scores (and ``similarity`` [N], each frame's cosine similarity to
       its nearest class name) are smoothed over ``smooth`` frames;
    2. each frame takes its best class, or background (label None) when its
       ``similarity`` (without it: its best score) is below ``background``;
    3. a segment shorter than ``min_segment`` seconds is given to the longer
       of its neighbours, shortest first, until none is left (or one remains);
    4. a segment's score is the mean score of its label over its frames
       (background: the mean best score).
    """
    scores = smooth_scores(np.asarray(scores, dtype=float), smooth)
    best = scores.argmax(axis=1)
    evidence = scores.max(axis=1) if similarity is None else \
        smooth_scores(np.asarray(similarity, dtype=float)[:, None], smooth)[:, 0]
    labels = [names[k] if background is None or evidence[i] >= background else None
              for i, k in enumerate(best)]
    while True:
        segs = runs(labels, starts, ends)
        short = [s for s in segs if s['end'] - s['start'] < min_segment]
        if len(segs) < 2 or not short:
            break
        s = min(short, key=lambda s: s['end'] - s['start'])
        i = segs.index(s)
        neighbours = [n for n in (segs[i - 1] if i else None,
                                  segs[i + 1] if i + 1 < len(segs) else None) if n]
        target = max(neighbours, key=lambda n: n['end'] - n['start'])
        for f in range(s['first'], s['last'] + 1):
            labels[f] = target['label']
    out = []
    for s in runs(labels, starts, ends):
        frames = slice(s['first'], s['last'] + 1)
        k = names.index(s['label']) if s['label'] is not None else None
        score = scores[frames].max(axis=1) if k is None else scores[frames, k]
        out.append(dict(start=round(s['start'], 3), end=round(s['end'], 3),
                        label=s['label'] if k is not None else None,
                        score=round(float(score.mean()), 4)))
    return out


class FrameReadings(NamedTuple):
    """What the model reads in every sampled frame of a video: ``scores``
    [N, K] (class probabilities), ``similarity`` [N] (cosine to the nearest
    class name), ``tokens`` [N] (class id each frame reads as), ``indices``,
    ``starts``, ``ends`` [N] (video frame, its time span in s)."""
    names: List[str]
    scores: np.ndarray
    similarity: np.ndarray
    tokens: np.ndarray
    indices: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    duration: float


def vtd_head_of(model):
    """The VTD head of ``model`` (one whose label set can change), and its
    frames per window."""
    heads = label_set_heads(model)
    if not heads:
        raise ValueError('this reads the frames of a VTDHead; the model has a '
                         f'{type(getattr(model, "cls_head", None)).__name__}.')
    if not heads[0].num_frames:
        raise ValueError('the VTD head has no num_frames: set the frames per window in the '
                         'config (model.cls_head.num_frames).')
    return heads[0], heads[0].num_frames


def forward_data(model, data: Dict, precision: str = 'fp32') -> Dict:
    """The VTD head's :meth:`forward_details` of a batch of window data, the
    forward in ``precision`` (see :func:`~vtd_mm.apis.precision.autocast_for`)."""
    head, _ = vtd_head_of(model)
    with torch.no_grad(), autocast_for(model, precision):
        data = model.data_preprocessor(data, False)
        feats, kwargs = model.extract_feat(data['inputs'], test_mode=True)
        return head.forward_details(feats, kwargs.get('num_segs'))


def forward_windows(model, windows: List, source: str, pipeline=None,
                    precision: str = 'fp32') -> Dict:
    """The VTD head's :meth:`forward_details` of ``windows`` (each one view of
    the model's ``num_frames`` frames [T, H, W, 3] RGB) from ``source``."""
    _, length = vtd_head_of(model)
    pipeline = pipeline or window_pipeline(model.cfg)
    return forward_data(model, collate_windows(windows, length, source, pipeline), precision)


def run_windows(model, windows: VideoWindows, batch_size: int, progress: bool = False,
                workers: int = 0, precision: str = 'fp32') -> Iterator[Tuple[List, Dict]]:
    """Batches of windows of ``windows`` through ``model``: yields the
    windows (without their frames) and the VTD head's :meth:`forward_details`
    of them (one view per window), in the video's order.

    ``workers`` processes decode and transform the batches ahead of the model
    (:class:`~vtd_mm.datasets.video_windows.WindowBatches`); 0 does it here,
    between forward passes. ``precision``: resolved, see
    :func:`~vtd_mm.apis.precision.resolve_precision`.
    """
    batches = WindowBatches(windows.path, windows.length, windows.sample_fps, windows.stride,
                            batch_size, window_pipeline(model.cfg))
    loader = DataLoader(batches, batch_size=None, num_workers=workers,
                        collate_fn=lambda item: item)
    bar = ProgressBar(max(int(round(windows.duration)), 1)) if progress else None
    done_s = 0
    for batch, data in loader:
        if batch is None:
            raise data  # the video's BrokenVideoError, from the worker that met it
        yield batch, forward_data(model, data, precision)
        now = int(round(float(batch[-1].times[-1])))
        if bar is not None and now > done_s:
            bar.update(now - done_s)
            done_s = now


def frame_readings(model, path: str, names: List[str], sample_fps: float = 2.0,
                   stride: Optional[int] = None, batch_size: int = 8,
                   progress: bool = False, workers: int = 0,
                   precision: str = 'fp32') -> FrameReadings:
    """Every sampled frame of ``path`` read against the label set ``names``
    (already given to the model's head), window by window: see
    :func:`video_timeline`."""
    head, length = vtd_head_of(model)
    windows = VideoWindows(path, length, sample_fps, stride or max(length // 2, 1))
    n = len(windows.indices)
    sums = np.zeros((n, len(names)))
    similarity, counts = np.zeros(n), np.zeros(n)
    votes = np.zeros((n, len(names)), dtype=int)
    scale = float(head.logit_scale.detach().exp())
    for batch, out in run_windows(model, windows, batch_size, progress, workers, precision):
        logits = out['frame_logits'].float()                                 # [B, T, K]
        probs = logits.softmax(-1).double().numpy()
        cos = (logits.max(-1).values / scale).double().numpy()               # [B, T]
        for w, p, c, t in zip(batch, probs, cos, out['frame_tokens'].numpy()):
            np.add.at(sums, w.positions, p)
            np.add.at(similarity, w.positions, c)
            np.add.at(counts, w.positions, 1)
            np.add.at(votes, (w.positions, t), 1)
    return FrameReadings(list(names), sums / counts[:, None], similarity / counts,
                         votes.argmax(axis=1), windows.indices, windows.times,
                         np.append(windows.times[1:], windows.duration), windows.duration)


def video_timeline(model, path: str, labels=None, sample_fps: float = 2.0,
                   stride: Optional[int] = None, batch_size: int = 8, smooth: int = 3,
                   min_segment: float = 1.0, background: Optional[float] = None,
                   progress: bool = False, workers: int = 0, precision: str = 'fp32') -> Dict:
    """The timeline of one video of any length.

    Windows of the model's ``num_frames`` frames, sampled at ``sample_fps``,
    start every ``stride`` sampled frames (default: half a window) and go
    through the model; in each, every frame is read against the label set
    after the fusion with the window's video token (the head's
    ``frame_logits``, softmax over the classes). A sampled frame gets the
    mean of its readings over the windows that hold it, and the class name it
    reads as (its token, by majority over those windows). Decoding is
    streamed (:class:`~vtd_mm.datasets.video_windows.VideoWindows`): memory
    does not grow with the video's length. :func:`segments_from_scores`
    turns the readings into segments.

    Args:
        model: a recognizer with a VTD head (:func:`vtd_mm.apis.init_recognizer`).
        path: video file.
        labels: None (the model's label set), ``'a,b,c'``, a label file or a list.
        sample_fps, stride, batch_size: sampling and windows per forward pass.
        smooth, min_segment, background: see :func:`segments_from_scores`
            (``background``: a cosine similarity between a frame and its
            nearest class name, after the fusion; CLIP's matching pairs sit
            well above unrelated ones, e.g. 0.6-0.8 vs 0.2-0.45 for the demo's
            tiny CLIP).
        progress: a progress bar in seconds of video.
        workers, precision: decoding processes and the forward's precision
            (resolved), see :func:`run_windows`.

    Returns:
        dict: ``video``, ``duration`` (s), ``sample_fps``, ``label_set``,
        ``frames`` (per sampled frame ``index``, ``time``, ``label``, ``score``,
        ``similarity``, ``token``) and ``segments`` (``start``, ``end``,
        ``label`` or None, ``score``).
    """
    with label_set(model, parse_labels(labels)) as names:
        r = frame_readings(model, path, names, sample_fps, stride, batch_size, progress,
                           workers, precision)
    segments = segments_from_scores(r.scores, r.starts, r.ends, r.names, smooth, min_segment,
                                    background, r.similarity)
    best = r.scores.argmax(axis=1)
    frames = [dict(index=int(r.indices[j]), time=round(float(r.starts[j]), 3),
                   label=r.names[int(best[j])], score=round(float(r.scores[j, best[j]]), 4),
                   similarity=round(float(r.similarity[j]), 4), token=r.names[int(r.tokens[j])])
              for j in range(len(best))]
    return dict(video=path, duration=round(r.duration, 3), sample_fps=sample_fps,
                label_set=r.names, frames=frames, segments=segments)
