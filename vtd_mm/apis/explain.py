"""Recognise videos with any label set and explain each prediction frame by frame.

VTD-CLIP reads every sampled frame as its nearest class name (its token) and
weighs frames by their confidence for each class; :func:`recognize` returns that
reading next to the top-k classes through :class:`~vtd_mm.apis.VTDInferencer`,
and :func:`format_result` prints it.
"""
from typing import Dict, List, Optional, Sequence

from .vtd_inferencer import VTDInferencer


def recognize(model, videos: Sequence[str], labels=None, top_k: int = 5,
              views: Optional[int] = None, progress: bool = False,
              skip_broken: bool = False, batch_size: int = 1, workers: int = 0,
              precision: str = 'fp32') -> List[Dict]:
    """Top-k classes and the frame-by-frame reading of each video, through
    :class:`~vtd_mm.apis.VTDInferencer` on a model already built.

    Args:
        model: a recognizer with a VTD head, e.g. from
            :func:`vtd_mm.apis.init_recognizer` (no checkpoint: zero-shot).
        videos: video files.
        labels: the label set: None (the model's), ``'a,b,c'``, a label file
            or a list of names.
        top_k: classes to report.
        views: clips per video (None: the config's test pipeline).
        progress: show a progress bar.
        skip_broken: a video that cannot be decoded gets ``dict(video,
            error)`` in the results instead of stopping the run.
        batch_size: videos per forward pass.
        workers: processes that decode videos ahead of the model.
        precision: ``'fp32'``, ``'bf16'`` or ``'fp16'`` (see
            :func:`~vtd_mm.apis.precision.resolve_precision`).

    Returns:
        list[dict]: one prediction per video, as :class:`VTDInferencer` gives them.

    Raises:
        BrokenVideoError: a video cannot be decoded (without
            ``skip_broken``), naming it and the decoder's error.
        ValueError: ``top_k`` or ``views`` below 1.
    """
    inferencer = VTDInferencer(model, views=views, top_k=top_k, skip_broken=skip_broken,
                               show_progress=progress, precision=precision, workers=workers)
    return inferencer(list(videos), labels=labels, batch_size=batch_size)['predictions']


def format_result(result: Dict) -> str:
    """A few lines of text: the top-k and each frame's token and weight."""
    if 'error' in result:
        return f"{result['video']}\n  skipped: {result['error']}"
    lines = [f"{result['video']}"]
    lines += [f"  {n + 1}. {c['name']}  {c['score']:.3f}" for n, c in enumerate(result['top_k'])]
    view = result['views'][0]
    lines.append(f"  video token: {view['video_token']}; frames (token, weight for "
                 f"'{result['top_k'][0]['name']}'):")
    for f in view['frames']:
        where = '' if f['index'] is None else f"frame {f['index']:>5}" + (
            f" ({f['time']:.2f} s)" if f['time'] is not None else '')
        lines.append(f"    {where}  {f['token']}  w={f['weight']:.2f}")
    return '\n'.join(lines)
