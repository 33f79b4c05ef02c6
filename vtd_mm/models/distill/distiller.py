"""A student recognizer trained against a frozen teacher recognizer."""
import copy
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint
from mmaction.registry import MODELS


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
    """

    def __init__(self, student: Dict, teacher: Dict, teacher_checkpoint: Optional[str] = None,
                 distill_losses: Dict = dict(ckd=dict(type='CKDLoss')),
                 data_preprocessor: Optional[Dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.student = MODELS.build(student)
        teacher = MODELS.build(teacher)
        if teacher_checkpoint is not None:
            load_checkpoint(teacher, teacher_checkpoint, map_location='cpu', strict=True)
        teacher.requires_grad_(False)
        object.__setattr__(self, 'teacher', teacher.eval())
        self.distill_losses = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in distill_losses.items()})

    def _apply(self, fn, *args, **kwargs):
        self.teacher._apply(fn, *args, **kwargs)
        return super()._apply(fn, *args, **kwargs)

    def train(self, mode: bool = True):
        super().train(mode)
        self.teacher.eval()
        return self

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        raw = dict(inputs=inputs, data_samples=data_samples)
        student = self.student.data_preprocessor(copy.copy(raw), self.training)
        if mode != 'loss':
            return self.student(**student, mode=mode)
        self.teacher.eval()
        with torch.no_grad():
            teacher = self.teacher.data_preprocessor(copy.copy(raw), False)
            teacher_logits, _ = video_logits(self.teacher, teacher['inputs'])
        samples = student['data_samples']
        logits, kwargs = video_logits(self.student, student['inputs'], samples)
        losses = self.student.cls_head.loss_by_feat(logits, samples)
        losses.update(kwargs.get('loss_aux', {}))
        for name, loss in self.distill_losses.items():
            losses[f'loss_{name}'] = loss(logits, teacher_logits)
        return losses
