"""Label set per dataset: the codebook follows the label file of the data."""
import logging
import os.path as osp
from typing import List, Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ..datasets.class_names import class_names_from_metainfo
from ..models.clip import CLIPTextEncoder, CLIPVisionBackbone


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def label_set_heads(model) -> list:
    """Heads of ``model`` whose label set can change (``set_class_names``)."""
    return [m for m in _unwrap(model).modules()
            if callable(getattr(m, 'set_class_names', None))]


def check_one_clip(model) -> None:
    """Warn, naming both files, when the vision and the text tower of one
    model were read from different CLIP files: their features share one
    embedding space only when they come from the same CLIP (the same weights
    in two layouts are fine, which is why this is a warning)."""
    model = _unwrap(model)
    for recognizer in [model] + [getattr(model, k, None) for k in ('student', 'teacher')]:
        backbone = getattr(recognizer, 'backbone', None)
        text = getattr(getattr(recognizer, 'cls_head', None), 'text_encoder', None)
        if not (isinstance(backbone, CLIPVisionBackbone) and isinstance(text, CLIPTextEncoder)):
            continue
        files = backbone.clip_file, text.clip_file
        if None not in files and osp.realpath(files[0]) != osp.realpath(files[1]):
            print_log(
                f'The vision tower was read from {files[0]!r} and the text tower from '
                f'{files[1]!r}: unless both hold the same CLIP, frames and class names '
                'are compared across two embedding spaces. Give both towers the same '
                'file (model.backbone.pretrained, model.cls_head.text_encoder.pretrained).',
                logger='current', level=logging.WARNING)


def dataset_class_names(dataset) -> Optional[List[str]]:
    """The label set named by ``metainfo['classes']`` of ``dataset``, or None."""
    meta = getattr(dataset, 'metainfo', None) or {}
    return class_names_from_metainfo(meta.get('classes'))


def check_labels(dataset, num_names: int, what: str) -> None:
    """Every label of the annotation list must index the label set."""
    if not hasattr(dataset, 'get_data_info'):
        return
    top = -1
    for i in range(len(dataset)):  # data_list is serialised away: read entries back
        info = dataset.get_data_info(i)
        label = info.get('label')
        if isinstance(label, int) and label < 0:
            raise ValueError(
                f'{what}: entry {i + 1} of the annotation list '
                f'{getattr(dataset, "ann_file", "")!r} ({info.get("filename", "")!r}) has '
                f'label {label}; labels are class ids 0..{num_names - 1}. Remove '
                'unlabelled videos from the list.')
        if isinstance(label, int) and label > top:
            top = label
    if top >= num_names:
        raise ValueError(
            f'{what}: the annotation list {getattr(dataset, "ann_file", "")!r} has '
            f'label {top}, but its label set has {num_names} names. '
            'Use the label file that belongs to this list (its ids must '
            'match the labels of the list).')


def check_clip_len(dataset, heads, what: str) -> None:
    """The pipeline's clips must have the head's ``num_frames`` frames.

    A clip of a multiple of ``num_frames`` frames would be split into several
    views by the head: a broadcast error in training, and at test every clip
    silently scored as several views. Views come from ``num_clips`` and crops.
    A sampler with ``clip_len=1`` takes one frame per segment (TSN style): its
    ``num_clips`` segments are the frames of one view. A 3D pipeline
    (``FormatShape`` ``NCTHW``) is left to the head, which checks the time
    steps the 3D backbone gives.
    """
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', [])
    if any(str(getattr(t, 'input_format', '')).startswith('NCTHW') for t in transforms):
        return
    for t in transforms:
        clip_len = getattr(t, 'clip_len', None)
        if not isinstance(clip_len, int):
            continue
        segments = clip_len == 1 and isinstance(getattr(t, 'num_clips', None), int)
        frames_per_view = t.num_clips if segments else clip_len
        setting = f'num_clips={t.num_clips}' if segments else f'clip_len={clip_len}'
        for head in heads:
            frames = getattr(head, 'num_frames', None)
            if not frames:
                raise ValueError(
                    f'{what}: {type(head).__name__}.num_frames is not set, so the head '
                    f'cannot tell the frames of a view from the views of a test clip: '
                    f'set num_frames={frames_per_view}, the frames of one clip of the '
                    f'pipeline ({type(t).__name__}({setting})).')
            if frames_per_view != frames:
                raise ValueError(
                    f'{what}: the pipeline samples clips of {frames_per_view} frames '
                    f'({type(t).__name__}({setting})), but '
                    f'{type(head).__name__}.num_frames={frames}. A clip is one view of '
                    'num_frames frames (more views come from num_clips and crops; with '
                    'clip_len=1 the num_clips segments are the frames): set '
                    f'{setting.split("=")[0]}={frames} in the pipeline or '
                    f'num_frames={frames_per_view} in the head.')


@HOOKS.register_module()
class LabelSetHook(Hook):
    """Give the model the label set of the data it is run on.

    A dataset names its label set with ``metainfo=dict(classes=...)``: a
    ``.txt`` / ``id,name`` ``.csv`` label file (shipped names such as
    ``'hmdb_51_labels.csv'`` work too) or a list of names. Before training,
    validation and testing, every head with ``set_class_names`` (e.g.
    :class:`VTDHead`) takes that label set, so a model trained on Kinetics-400
    names is evaluated on HMDB-51 or on novel classes without touching the
    model config; the codebook is rebuilt once per label set (it is cached in
    eval mode). After validation the training label set comes back.

    A dataset without ``classes`` leaves the model's label set as it is. The
    labels of the annotation list are checked against the label set (no
    negative labels, none beyond it), the clip length of the pipeline against
    the head's ``num_frames``, and a model whose head cannot change its label
    set gets a clear error when the sizes differ.
    """

    priority = 'NORMAL'

    def __init__(self):
        self._saved = None
        self._checked = {}  # id(dataset) -> (dataset, label set sizes it passed)

    def _check(self, dataset, num_names: int, what: str):
        """check_labels once per dataset and size (validation runs every few epochs)."""
        _, sizes = self._checked.setdefault(id(dataset), (dataset, set()))
        if num_names not in sizes:
            check_labels(dataset, num_names, what)
            sizes.add(num_names)

    def _apply(self, runner, dataset, what: str):
        names = dataset_class_names(dataset)
        heads = label_set_heads(runner.model)
        check_clip_len(dataset, heads, what)
        if names is None:
            if heads:
                self._check(dataset, len(heads[0].class_names), what)
            return None
        self._check(dataset, len(names), what)
        if not heads:
            head = getattr(_unwrap(runner.model), 'cls_head', None)
            fixed = getattr(head, 'num_classes', None)
            if fixed is not None and fixed != len(names):
                raise ValueError(
                    f'{what}: the dataset has {len(names)} classes but the model '
                    f'head has a fixed set of {fixed}. Only heads with '
                    'set_class_names (e.g. VTDHead) can change their label set.')
            return None
        previous = list(heads[0].class_names)
        if previous != names:
            for head in heads:
                head.set_class_names(names)
            print_log(f'{what}: label set of {len(names)} classes from the dataset '
                      f'({names[0]!r}, ...)', logger='current')
        return previous

    def before_run(self, runner) -> None:
        check_one_clip(runner.model)

    def before_train(self, runner) -> None:
        self._apply(runner, runner.train_dataloader.dataset, 'train')

    def before_val_epoch(self, runner) -> None:
        self._saved = self._apply(runner, runner.val_dataloader.dataset, 'val')

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._restore(runner)

    def before_test_epoch(self, runner) -> None:
        self._saved = self._apply(runner, runner.test_dataloader.dataset, 'test')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._restore(runner)

    def _restore(self, runner):
        if self._saved is not None:
            for head in label_set_heads(runner.model):
                head.set_class_names(self._saved)
            self._saved = None
