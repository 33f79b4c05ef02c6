"""A student recognizer trained against a frozen teacher recognizer."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint


def video_logits(recognizer, inputs, data_samples=None):
    """Video-level class scores ``[N, C]`` of an MMAction2 recognizer.

    MMAction2's ``extract_feat(stage='head')``: backbone, neck and the head's
    forward, whose consensus turns segments into clips; several clips per
    video are averaged here. Returns the logits and the head's keyword
    arguments (``num_segs``, ``loss_aux``).
    """
    logits, kwargs = recognizer.extract_feat(inputs, stage='head', data_samples=data_samples)
    videos = inputs.shape[0]
    if logits.shape[0] != videos:
        logits = logits.view(videos, -1, logits.shape[-1]).mean(1)
    return logits, kwargs


@MODELS.register_module()
class RecognizerDistiller(BaseModel):
    """Knowledge distillation between two MMAction2 recognizers.

    ``loss = student task loss + sum of distill_losses(student logits, teacher logits)``,
    each logged on its own (``loss_<name>``). The teacher is built and loaded
    once, frozen, kept in eval mode through every ``train()`` (dropout too),
    runs under ``no_grad`` and never computes its own loss. It is held outside
    the module tree: it is not in ``parameters()`` (so no optimizer, nor
    MMAction2's TSM constructor, sees it), nor in ``state_dict()``, nor wrapped
    by DDP; ``.to()`` still moves it. Each side preprocesses the raw batch with
    its own data preprocessor (normalisation, layout). ``predict`` and
    ``tensor`` modes are the student's.

    Args:
        student (dict): MMAction2 recognizer config, with its data_preprocessor.
        teacher (dict): the teacher's recognizer config.
        teacher_checkpoint (str | None): the teacher's weights (strict load).
        distill_losses (dict): name -> loss config, e.g.
            ``dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0))``.
        student_input (dict | None): the student's view of each batch when
            it sees fewer frames or a lower resolution than the teacher
            (None: the same clips). Keys: ``clip_len`` (frames per clip in
            the batch) with ``num_frames`` (the student's frames per clip,
            evenly spaced: the centres of ``num_frames`` equal segments, as
            MMAction2's test-mode sampling), and/or ``size`` (int or
            ``(h, w)``: frames resized, bilinear with antialiasing, rounded
            back to the batch's dtype). Both sides still see the same videos,
            so the sample-wise losses compare like with like. Applied in every
            mode: the student is validated and tested on the view it trains
            on (deployed alone, it needs a pipeline that gives that view).

    Layouts: each side's ``data_preprocessor.format_shape`` says what it
    takes. When a 3D recognizer (``NCTHW``) teaches a 2D one (``NCHW``) or
    the other way round, the batch holds clips (the pipelines end with
    ``FormatShape(input_format='NCTHW')``) and the 2D side gets the frames of
    each clip in order (after ``student_input``); frames cannot be grouped
    into clips without a guess, so a batch of frames for a 3D side is an
    error that says so. A 2D student whose head takes a fixed number of
    frames per view (``VTDHead.num_frames``, ``TSMHead.num_segments``) must
    get that many: checked at build time against ``student_input`` and on
    every batch.
    """

    def __init__(self, student: Dict, teacher: Dict, teacher_checkpoint: Optional[str] = None,
                 distill_losses: Dict = dict(ckd=dict(type='CKDLoss')),
                 student_input: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student_input = self._check_student_input(student_input)
        self.student = MODELS.build(student)
        teacher = MODELS.build(teacher)
        self.layouts = dict(student=self._layout(self.student), teacher=self._layout(teacher))
        if None not in self.layouts.values() and len(set(self.layouts.values())) > 1:
            unknown = {who: f for who, f in self.layouts.items() if f not in self.LAYOUTS}
            if unknown:
                raise ValueError(
                    f'RecognizerDistiller: the student takes {self.layouts["student"]} and '
                    f'the teacher {self.layouts["teacher"]} inputs; only {self.LAYOUTS} are '
                    'converted into each other: give both sides the same format_shape.')
        self._check_student_frames(self.student_frames_per_view())
        if teacher_checkpoint is not None:
            load_checkpoint(teacher, teacher_checkpoint, map_location='cpu', strict=True)
        teacher.requires_grad_(False)
        object.__setattr__(self, 'teacher', teacher.eval())
        self.distill_losses = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in distill_losses.items()})

    LAYOUTS = ('NCHW', 'NCTHW')

    @staticmethod
    def _layout(recognizer) -> Optional[str]:
        """The ``format_shape`` of the recognizer's data preprocessor (None for
        one that does not say: the batch is passed on as it is)."""
        return getattr(recognizer.data_preprocessor, 'format_shape', None)

    def student_frames_per_view(self) -> Optional[int]:
        """Frames per view the student's head needs (2D students), or None."""
        if self.layouts['student'] != 'NCHW':
            return None
        head = getattr(self.student, 'cls_head', None)
        for attr in ('num_frames', 'num_segments'):
            if getattr(head, attr, None):
                return int(getattr(head, attr))
        return None

    def _check_student_frames(self, needed: Optional[int], got: Optional[int] = None,
                              one_view: bool = True):
        """A training clip must give the student one view of ``needed`` frames
        (a test batch a whole number of views)."""
        if got is None and self.student_input and 'num_frames' in self.student_input:
            got = self.student_input['num_frames']
        if needed is None or got is None or (got == needed if one_view else got % needed == 0):
            return
        per = 'training clip' if one_view else 'video'
        raise ValueError(
            f'RecognizerDistiller: the student\'s head takes views of {needed} frames, but '
            f'it gets {got} per {per}: set student_input=dict(clip_len=<frames per clip '
            f'of the pipeline>, num_frames={needed}), or the head\'s frames to {got}.')

    def as_layout(self, inputs, who: str):
        """The raw batch in the layout ``who`` takes: clips ``[V, C, T, H, W]``
        per video become frames ``[V * T, C, H, W]`` for a 2D side."""
        layout = self.layouts[who]
        videos = list(inputs)
        if layout == 'NCHW' and videos and videos[0].dim() == 5:
            videos = [v.transpose(1, 2).flatten(0, 1) for v in videos]
        elif layout == 'NCTHW' and videos and videos[0].dim() == 4:
            raise ValueError(
                f'RecognizerDistiller: the batch holds frames (a 2D pipeline, FormatShape '
                f'NCHW), but the {who} is a 3D recognizer (format_shape NCTHW) and frames '
                "cannot be grouped into its clips without a guess: end the pipelines with "
                "FormatShape(input_format='NCTHW') (the 3D side's sampling); the 2D side "
                'gets the frames of each clip.')
        else:
            return inputs
        return torch.stack(videos) if torch.is_tensor(inputs) else videos

    @staticmethod
    def _check_student_input(view: Optional[Dict]) -> Optional[Dict]:
        if not view:
            return None
        unknown = set(view) - {'clip_len', 'num_frames', 'size'}
        if unknown:
            raise ValueError(f'student_input: unknown keys {sorted(unknown)}; '
                             'use clip_len with num_frames, and/or size.')
        view = dict(view)
        if ('clip_len' in view) != ('num_frames' in view):
            raise ValueError('student_input: give clip_len (frames per clip in the batch) '
                             'and num_frames (the student\'s) together.')
        if 'num_frames' in view and not 0 < view['num_frames'] <= view['clip_len']:
            raise ValueError(f"student_input: num_frames={view['num_frames']} must be "
                             f"between 1 and clip_len={view['clip_len']}.")
        if isinstance(view.get('size'), int):
            view['size'] = (view['size'], view['size'])
        return view

    def student_view(self, inputs):
        """The student's input from the raw batch (see ``student_input``):
        per video ``[V * T, C, H, W]`` (2D) or ``[V, C, T, H, W]`` (3D) ->
        ``[V * T', C, H', W']`` / ``[V, C, T', H', W']``."""
        view = self.student_input
        if view is None:
            return inputs
        if 'num_frames' in view:
            t, t_s = view['clip_len'], view['num_frames']
            idx = ((torch.arange(t_s, dtype=torch.float64) + 0.5) * t / t_s).long()
        videos = []
        for x in inputs:
            if 'num_frames' in view:
                idx = idx.to(x.device)
                if x.dim() == 4:
                    if x.shape[0] % t:
                        raise ValueError(
                            f'student_input: a video of {x.shape[0]} frames cannot be cut '
                            f'into clips of clip_len={t}: set it to the pipeline\'s clip_len.')
                    x = x.reshape(-1, t, *x.shape[1:])[:, idx].flatten(0, 1)
                else:
                    if x.shape[2] != t:
                        raise ValueError(f'student_input: clips of {x.shape[2]} frames, '
                                         f'but clip_len={t}.')
                    x = x[:, :, idx]
            if 'size' in view:
                lead = x.shape[:-2]
                work = x.dtype if x.is_floating_point() else torch.float32
                y = F.interpolate(x.reshape(-1, 1, *x.shape[-2:]).to(work), size=view['size'],
                                  mode='bilinear', align_corners=False, antialias=True)
                if not x.is_floating_point():
                    info = torch.iinfo(x.dtype)
                    y = y.round().clamp(info.min, info.max)
                x = y.to(x.dtype).reshape(*lead, *view['size'])
            videos.append(x)
        return torch.stack(videos) if torch.is_tensor(inputs) else videos

    def _apply(self, fn, *args, **kwargs):
        self.teacher._apply(fn, *args, **kwargs)
        return super()._apply(fn, *args, **kwargs)

    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher.eval()
        return self

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        raw = dict(inputs=inputs, data_samples=data_samples)
        view = self.as_layout(self.student_view(inputs), 'student')
        needed = self.student_frames_per_view()
        if needed is not None and len(view):
            self._check_student_frames(needed, int(view[0].shape[0]), one_view=mode == 'loss')
        student = self.student.data_preprocessor(dict(raw, inputs=view), self.training)
        if mode != 'loss':
            return self.student(**student, mode=mode)
        self.teacher.eval()
        with torch.no_grad():
            teacher = self.teacher.data_preprocessor(
                dict(raw, inputs=self.as_layout(inputs, 'teacher')), False)
            teacher_logits, _ = video_logits(self.teacher, teacher['inputs'])
        samples = student['data_samples']
        logits, kwargs = video_logits(self.student, student['inputs'], samples)
        losses = self.student.cls_head.loss_by_feat(logits, samples)
        losses.update(kwargs.get('loss_aux', {}))
        for name, loss in self.distill_losses.items():
            losses[f'loss_{name}'] = loss(logits, teacher_logits)
        return losses
