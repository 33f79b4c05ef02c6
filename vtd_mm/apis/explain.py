"""Recognise videos with any label set and explain each prediction frame by frame.

VTD-CLIP reads every sampled frame as its nearest class name (its token) and
weighs frames by their confidence for each class; these functions return that
reading next to the top-k classes, and draw it.
"""
import contextlib
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from ..datasets import load_class_names
from ..datasets.annotation_list import annotation_entries
from ..datasets.checked_video_dataset import (BrokenVideoError, DecodingCheckedCompose,
                                              DecodingFailed)
from ..engine import label_set_heads

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv', '.mpg', '.mpeg')
SAMPLERS = ('UniformSample', 'SampleFrames', 'UniformSampleFrames', 'DenseSampleFrames')


def collect_videos(inputs: Sequence[str], data_prefix: Optional[str] = None) -> List[str]:
    """Video files named by ``inputs``: files, folders (their videos, sorted) or
    annotation lists (``.txt``, one ``path [label]`` per line, a path may
    hold spaces, paths relative to ``data_prefix`` or to the list's
    folder)."""
    videos = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(osp.join(item, f) for f in os.listdir(item)
                           if f.lower().endswith(VIDEO_EXTENSIONS))
            if not found:
                raise FileNotFoundError(f'no video files ({", ".join(VIDEO_EXTENSIONS)}) '
                                        f'in the folder {item}')
            videos += found
        elif item.endswith('.txt'):
            root = data_prefix if data_prefix is not None else osp.dirname(osp.abspath(item))
            videos += [osp.join(root, e.item)
                       for e in annotation_entries(item, labels_optional=True)]
        else:
            videos.append(item)
    missing = [v for v in videos if not osp.isfile(v)]
    if missing:
        raise FileNotFoundError(f'{len(missing)} videos not found, e.g. {missing[0]}')
    return videos


def parse_labels(labels: Union[None, str, Sequence[str]]) -> Optional[List[str]]:
    """``'a,b,c'`` / a label file / a list -> names (None: the model's own).

    At least two names: over a single class every video scores 1.0. A string
    that names no file but looks like a path is an error, not a class name.
    """
    if labels is None:
        return None
    if isinstance(labels, str) and not osp.isfile(labels):
        if labels.endswith(('.txt', '.csv')) or ('/' in labels and ',' not in labels):
            raise FileNotFoundError(f'label file not found: {labels}')
        labels = [name.strip() for name in labels.split(',') if name.strip()]
    names = load_class_names(labels)
    if len(names) < 2:
        raise ValueError(f'the label set {names} has {len(names)} name(s): a video is '
                         'scored among at least 2 classes (e.g. --labels "dive,run").')
    return names


@contextlib.contextmanager
def label_set(model, names: Optional[List[str]]):
    """Give the model's heads the label set ``names`` for the ``with`` block."""
    heads = label_set_heads(model)
    if names is None:
        yield None if not heads else list(heads[0].class_names)
        return
    if not heads:
        raise ValueError('This model cannot change its label set (no head with '
                         'set_class_names, e.g. VTDHead): leave out the labels.')
    previous = list(heads[0].class_names)
    for head in heads:
        head.set_class_names(names)
    try:
        yield names
    finally:
        for head in heads:
            head.set_class_names(previous)


def inference_pipeline(model, views: Optional[int] = None):
    """The config's test pipeline (``views`` clips per video if given)."""
    from mmengine.dataset import Compose
    cfg = model.cfg
    pipeline = copy.deepcopy(cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline)
    if views is not None:
        samplers = [t for t in pipeline if t['type'] in SAMPLERS]
        if not samplers:
            raise ValueError(f'views={views}: the test pipeline has no frame sampler '
                             f'({", ".join(SAMPLERS)}).')
        for t in samplers:
            t['num_clips'] = views
    return Compose(pipeline)


def recognize(model, videos: Sequence[str], labels=None, top_k: int = 5,
              views: Optional[int] = None, progress: bool = False,
              skip_broken: bool = False) -> List[Dict]:
    """Top-k classes and the frame-by-frame reading of each video.

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

    Returns:
        list[dict]: per video ``video``, ``top_k`` (``label``, ``name``,
        ``score``), ``video_token`` (of the first view) and ``views``: per
        view its ``clip``, ``video_token`` and ``frames`` (``index`` in the
        video, ``time``: its presentation time in s, ``token``: the class
        name the frame reads as, ``weight``: the frame's weight for the
        predicted class).

    Raises:
        BrokenVideoError: a video cannot be decoded (without
            ``skip_broken``), naming it and the decoder's error.
        ValueError: ``top_k`` or ``views`` below 1.
    """
    if top_k < 1 or (views is not None and views < 1):
        raise ValueError(f'top_k and views must be at least 1, got top_k={top_k}, views={views}')
    from mmengine.dataset import pseudo_collate
    from mmengine.utils import ProgressBar

    if not label_set_heads(model):
        head = type(getattr(model, 'cls_head', None)).__name__
        raise ValueError(f'recognize() explains the frame tokens of a VTDHead; this '
                         f'model has a {head}: use mmaction.apis.inference_recognizer.')
    names = parse_labels(labels)
    results = []
    bar = ProgressBar(len(videos)) if progress else None
    with label_set(model, names) as names:
        pipeline = inference_pipeline(model, views)
        for path in videos:
            try:
                data, sampled = _prepare(pipeline, path)
            except DecodingFailed as err:
                if not skip_broken:
                    raise BrokenVideoError(f'cannot decode video {path} ({err})', path) from err
                results.append(dict(video=path, error=f'cannot decode: {err}'))
            else:
                with torch.no_grad():
                    pred = model.test_step(pseudo_collate([data]))[0]
                results.append(_describe(path, pred, names, sampled, top_k))
            if bar is not None:
                bar.update()
    return results


def _prepare(pipeline, path):
    """Run the test pipeline on ``path``; also return the sampled frames:
    their indices and, from decord, each one's presentation time (a video of
    variable frame rate is not index / average fps)."""
    data = dict(filename=path, label=-1, start_index=0, modality='RGB')
    reader = sampled = None
    for transform in pipeline.transforms:
        if type(transform).__name__ == 'PackActionInputs':
            inds = np.asarray(data['frame_inds']).reshape(-1)
            fps = float(data.get('avg_fps') or 0) or None
            times = None
            if reader is not None and hasattr(reader, 'get_frame_timestamp'):
                times = reader.get_frame_timestamp(inds.tolist())[:, 0]
            elif fps:
                times = inds / fps
            sampled = dict(inds=inds, clips=int(data.get('num_clips', 1)),
                           clip_len=int(data.get('clip_len', len(inds))), times=times)
        data = DecodingCheckedCompose.apply(transform, data)
        if data.get('video_reader') is not None:  # kept: the decoder drops it from data
            reader = data['video_reader']
    return data, sampled


def _describe(path, pred, names, sampled, top_k):
    scores = pred.pred_score.float()
    if not bool(torch.isfinite(scores).all()):
        raise FloatingPointError(
            f'{path}: the model gives NaN or infinite scores; its weights or the '
            "checkpoint are damaged (a run that diverged): check the checkpoint's losses.")
    k = min(top_k, len(scores))
    top = torch.topk(scores, k)
    views = []
    for v, (tokens, weights, token) in enumerate(zip(pred.frame_token_names,
                                                     pred.frame_weights.tolist(),
                                                     pred.video_token_names)):
        clip = v % sampled['clips']
        span = slice(clip * sampled['clip_len'], (clip + 1) * sampled['clip_len'])
        inds = sampled['inds'][span]
        times = [None] * len(inds) if sampled['times'] is None else sampled['times'][span]
        if len(inds) != len(tokens):  # a 3D backbone's time steps are not frames
            inds = times = [None] * len(tokens)
        views.append(dict(view=v, clip=clip, video_token=token, frames=[
            dict(index=None if i is None else int(i),
                 time=None if t_s is None else round(float(t_s), 3),
                 token=t, weight=round(float(w), 4))
            for i, t_s, t, w in zip(inds, times, tokens, weights)]))
    return dict(video=path, label_set=len(names) if names else None,
                top_k=[dict(label=int(i), name=names[int(i)], score=round(float(s), 6))
                       for s, i in zip(top.values, top.indices)],
                video_token=views[0]['video_token'] if views else None, views=views)


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
