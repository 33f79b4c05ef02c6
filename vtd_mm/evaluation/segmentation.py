"""Temporal segmentation of a video's frames: runs of labels, frame accuracy and
segmental F1 at IoU thresholds, as action-segmentation papers report them
(Lea et al., CVPR 2017; MS-TCN, CVPR 2019)."""
from typing import Dict, List, Optional, Sequence

import numpy as np

Segment = Dict  # dict(start=s, end=s, label=str or None, ...)


def runs(labels: Sequence[Optional[str]], starts: Sequence[float],
         ends: Sequence[float]) -> List[Segment]:
    """Consecutive frames of one label as segments ``dict(start, end, label,
    first, last)`` (``first`` / ``last``: frame positions); ``labels[i]`` is
    frame i's label (None: background), covering ``[starts[i], ends[i])``."""
    out = []
    for i, label in enumerate(labels):
        if out and out[-1]['label'] == label:
            out[-1].update(end=float(ends[i]), last=i)
        else:
            out.append(dict(start=float(starts[i]), end=float(ends[i]), label=label,
                            first=i, last=i))
    return out


def frame_accuracy(pred: Sequence[Optional[str]], truth: Sequence[Optional[str]]) -> float:
    """Share of frames whose label (background included) is the true one."""
    if len(pred) != len(truth) or not len(truth):
        raise ValueError(f'frame_accuracy: {len(pred)} predicted vs {len(truth)} true labels')
    return float(np.mean([p == t for p, t in zip(pred, truth)]))


def _iou(a: Segment, b: Segment) -> float:
    inter = max(0.0, min(a['end'], b['end']) - max(a['start'], b['start']))
    union = max(a['end'], b['end']) - min(a['start'], b['start'])
    return inter / union if union > 0 else 0.0


def segment_f1(pred: Sequence[Segment], truth: Sequence[Segment], iou: float) -> float:
    """Segmental F1 at an IoU threshold: a predicted segment is a true
    positive when its IoU with a not yet matched true segment of the same
    label is at least ``iou`` (its best such match); background segments
    (label None) are left out on both sides."""
    pred = [p for p in pred if p['label'] is not None]
    truth = [t for t in truth if t['label'] is not None]
    used = [False] * len(truth)
    tp = 0
    for p in pred:
        best, best_j = 0.0, None
        for j, t in enumerate(truth):
            if t['label'] == p['label'] and not used[j]:
                overlap = _iou(p, t)
                if overlap > best:
                    best, best_j = overlap, j
        if best_j is not None and best >= iou:
            used[best_j] = True
            tp += 1
    fp, fn = len(pred) - tp, len(truth) - tp
    if tp == 0:
        return 0.0
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)
