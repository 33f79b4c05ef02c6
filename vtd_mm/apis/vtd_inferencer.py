"""MMAction2's action-recognition inferencer for VTD models: any label set,
and each prediction explained frame by frame."""
import contextlib
import copy
from typing import Dict, List, Optional, Sequence

import torch
from mmaction.apis.inferencers import ActionRecogInferencer
from mmaction.registry import INFERENCERS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader, Dataset

from ..datasets.checked_video_dataset import (
    BrokenVideoError,
    DecodingCheckedCompose,
    DecodingFailed,
)
from ..engine import label_set_heads
from .init_model import init_recognizer
from .inputs import parse_labels
from .precision import autocast_for

SAMPLERS = ('UniformSample', 'SampleFrames', 'UniformSampleFrames', 'DenseSampleFrames')
# what PackActionInputs keeps in each data sample's meta, beyond its defaults
META_KEYS = ('img_shape', 'img_key', 'video_id', 'timestamp', 'filename', 'frame_inds',
             'frame_times', 'num_clips', 'clip_len')


@contextlib.contextmanager
def label_set(model, names: Optional[List[str]]):
    """Give the model's heads the label set ``names`` for the ``with`` block
    (None: keep theirs); yields the label set in use."""
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


def inference_pipeline(cfg: Config, views: Optional[int] = None) -> list:
    """The config's test pipeline (``views`` clips per video if given), with
    :class:`~vtd_mm.datasets.FrameTimes` before decoding and the frames'
    indices, times and the file name kept in the data sample's meta."""
    pipeline = copy.deepcopy(cfg.get('test_pipeline') or cfg.test_dataloader.dataset.pipeline)
    pipeline = [dict(t) for t in pipeline]
    if views is not None:
        samplers = [t for t in pipeline if t['type'] in SAMPLERS]
        if not samplers:
            raise ValueError(f'views={views}: the test pipeline has no frame sampler '
                             f'({", ".join(SAMPLERS)}).')
        for t in samplers:
            t['num_clips'] = views
    decode = next((i for i, t in enumerate(pipeline) if 'Decode' in t['type']), None)
    if decode is not None:
        pipeline.insert(decode, dict(type='FrameTimes'))
    for t in pipeline:
        if t['type'] == 'PackActionInputs':
            t['meta_keys'] = tuple(dict.fromkeys((*t.get('meta_keys', ()), *META_KEYS)))
    return pipeline


@INFERENCERS.register_module(name='vtd-recognition')
@INFERENCERS.register_module()
class VTDInferencer(ActionRecogInferencer):
    """Recognise videos with a VTD model and any label set; explain each
    prediction by the class name every sampled frame reads as.

    Built as MMAction2's :class:`ActionRecogInferencer` (``model`` a config
    file, ``weights`` a checkpoint), with vtd_mm's model building
    (:func:`~vtd_mm.apis.init_recognizer`: the CLIP file of the config is
    kept, checkpoints must fit; without ``weights`` the frozen CLIP runs
    zero-shot as configured) and the config's whole test pipeline (its views
    are part of the explanation). ``model`` may also be a recognizer already
    built (its ``cfg`` is used).

    Call it with videos and, optionally, the label set of this call::

        inferencer = VTDInferencer('configs/demo/vtd_demo_full.py', 'epoch_8.pth')
        out = inferencer(['a.mp4', 'b.mp4'], labels='dive,run,ride a bike')
        out['predictions'][0]['top_k'][0]['name']

    Args:
        model: config file, :class:`Config`, or a built recognizer with a VTD head.
        weights: checkpoint, or None.
        device: e.g. ``'cpu'``, ``'cuda:0'``.
        views: clips per video (None: the config's test pipeline).
        top_k: classes to report per video.
        skip_broken: a video that cannot be decoded gets a prediction with
            ``error`` instead of stopping the call.
        cfg_options: settings merged into the config.
        precision: the forward's precision, resolved (``'fp32'``, ``'bf16'``,
            ``'fp16'``; see :func:`~vtd_mm.apis.precision.resolve_precision`).
        workers: processes that decode and transform videos ahead of the
            model (0: here, between forward passes).

    Each prediction (``return_datasamples=False``) is a dict: ``video``,
    ``label_set`` (its size), ``top_k`` (``label``, ``name``, ``score``),
    ``video_token`` (first view) and ``views``: per view its ``clip``,
    ``video_token`` and ``frames`` (``index`` in the video, ``time`` in s,
    ``token``: the class name the frame reads as, ``weight``: its weight for
    the predicted class); or ``video`` and ``error``.
    """

    def __init__(self, model, weights: Optional[str] = None, device: Optional[str] = 'cpu',
                 views: Optional[int] = None, top_k: int = 5, skip_broken: bool = False,
                 cfg_options: Optional[dict] = None, show_progress: bool = False,
                 precision: str = 'fp32', workers: int = 0):
        if top_k < 1 or (views is not None and views < 1) or workers < 0:
            raise ValueError(f'top_k and views must be at least 1 and workers at least 0, got '
                             f'top_k={top_k}, views={views}, workers={workers}')
        self.views, self.top_k, self.skip_broken = views, top_k, skip_broken
        self.precision, self.workers = precision, workers
        self.cfg_options = cfg_options
        self._built = model if isinstance(model, torch.nn.Module) else None
        if self._built is not None:
            model = self._built.cfg
        elif isinstance(model, str):
            model = Config.fromfile(model)
        if cfg_options and self._built is None:
            model = copy.deepcopy(model)
            model.merge_from_dict(cfg_options)
        super().__init__(model, weights, device)
        self.show_progress = show_progress
        if not label_set_heads(self.model):
            head = type(getattr(self.model, 'cls_head', None)).__name__
            raise ValueError(f'VTDInferencer explains the frame tokens of a VTDHead; this '
                             f'model has a {head}: use mmaction.apis.ActionRecogInferencer.')

    def _init_model(self, cfg, weights, device):
        if self._built is not None:
            return self._built
        return init_recognizer(cfg, weights, device=device or 'cpu')

    def _init_pipeline(self, cfg) -> DecodingCheckedCompose:
        return DecodingCheckedCompose([dict(type='InferencerPackInput', input_format='video'),
                                       *inference_pipeline(cfg, self.views)])

    def _init_visualizer(self, cfg):
        return None  # vtd_mm.visualization draws the frame strips and videos

    def visualize(self, inputs, preds, **kwargs):
        return None

    def __call__(self, inputs, labels=None, batch_size: int = 1, **kwargs) -> dict:
        """Predictions for ``inputs`` (video files) over ``labels``: None (the
        model's), ``'a,b,c'``, a label file or a list of names."""
        with label_set(self.model, parse_labels(labels)) as names:
            self._names = names
            return super().__call__(inputs, batch_size=batch_size, **kwargs)

    def preprocess(self, inputs: Sequence[str], batch_size: int = 1, **kwargs):
        """Batches of ``(path, data or the decoding error)``, decoded by
        ``workers`` loader processes ahead of the model (in order)."""
        loader = DataLoader(_DecodedVideos(list(inputs), self.pipeline), batch_size=batch_size,
                            num_workers=self.workers, collate_fn=list)
        for batch in loader:
            for path, data in batch:
                if isinstance(data, DecodingFailed) and not self.skip_broken:
                    raise BrokenVideoError(f'cannot decode video {path} ({data})', path) from data
            yield batch

    @torch.no_grad()
    def forward(self, inputs: List[tuple], **kwargs) -> List[ActionDataSample]:
        decoded = [data for _, data in inputs if not isinstance(data, DecodingFailed)]
        with autocast_for(self.model, self.precision):
            preds = self.model.test_step(pseudo_collate(decoded)) if decoded else []
        preds = iter(preds)
        out = []
        for path, data in inputs:
            if isinstance(data, DecodingFailed):
                out.append(ActionDataSample(metainfo=dict(filename=path,
                                                          error=f'cannot decode: {data}')))
            else:
                out.append(next(preds))
        return out

    def pred2dict(self, data_sample: ActionDataSample) -> Dict:
        return describe_prediction(data_sample, self._names, self.top_k)


class _DecodedVideos(Dataset):
    """``(path, pipeline(path))`` of each video, or ``(path, DecodingFailed)``."""

    def __init__(self, paths: List[str], pipeline):
        self.paths, self.pipeline = paths, pipeline

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        try:
            return self.paths[i], self.pipeline(self.paths[i])
        except DecodingFailed as err:
            return self.paths[i], err


def describe_prediction(pred: ActionDataSample, names: List[str], top_k: int) -> Dict:
    """A VTD prediction as a dict of plain values (see :class:`VTDInferencer`)."""
    path = pred.metainfo.get('filename')
    if 'error' in pred.metainfo:
        return dict(video=path, error=pred.error)
    scores = pred.pred_score.float()
    if not bool(torch.isfinite(scores).all()):
        raise FloatingPointError(
            f'{path}: the model gives NaN or infinite scores; its weights or the '
            "checkpoint are damaged (a run that diverged): check the checkpoint's losses.")
    top = torch.topk(scores, min(top_k, len(scores)))
    clips = int(pred.metainfo.get('num_clips', 1))
    inds = pred.metainfo.get('frame_inds')
    clip_len = int(pred.metainfo.get('clip_len', 0) or (len(inds) // clips if inds is not None
                                                         else 0))
    times = pred.metainfo.get('frame_times')
    views = []
    for v, (tokens, weights, token) in enumerate(zip(pred.frame_token_names,
                                                     pred.frame_weights.tolist(),
                                                     pred.video_token_names)):
        clip = v % clips
        span = slice(clip * clip_len, (clip + 1) * clip_len)
        view_inds = [None] * len(tokens) if inds is None else list(inds[span])
        view_times = [None] * len(tokens) if times is None else list(times[span])
        if len(view_inds) != len(tokens):  # a 3D backbone's time steps are not frames
            view_inds = view_times = [None] * len(tokens)
        views.append(dict(view=v, clip=clip, video_token=token, frames=[
            dict(index=None if i is None else int(i),
                 time=None if t_s is None else round(float(t_s), 3),
                 token=t, weight=round(float(w), 4))
            for i, t_s, t, w in zip(view_inds, view_times, tokens, weights)]))
    return dict(video=path, label_set=len(names) if names else None,
                top_k=[dict(label=int(i), name=names[int(i)], score=round(float(s), 6))
                       for s, i in zip(top.values, top.indices)],
                video_token=views[0]['video_token'] if views else None, views=views)
