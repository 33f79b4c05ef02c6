"""Contrastive knowledge distillation (CKD) between sample-wise logits."""
import warnings

import torch
import torch.nn.functional as F
from mmaction.models.losses import BaseWeightedLoss
from mmaction.registry import MODELS


def gather_students(student: torch.Tensor):
    """All ranks' student rows (differentiable) and this rank's row offset."""
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return student, 0
    from torch.distributed.nn.functional import all_gather
    rows = all_gather(student)  # backward sums every rank's gradient into its own rows
    offset = sum(r.shape[0] for r in rows[:dist.get_rank()])
    return torch.cat(rows, dim=0), offset


@MODELS.register_module()
class CKDLoss(BaseWeightedLoss):
    """Contrastive knowledge distillation (Zhu et al., IEEE TIP 2025, arXiv 2404.14109).

    With L2-normalised logits ``t_i = z^t_i / ||z^t_i||``, ``s_j = z^s_j / ||z^s_j||``
    and ``M_ij = <t_i, s_j>``: ``L = mean_i -log softmax_j(M_ij / tau)[i]``.
    Positive pair: teacher and student logits of the same sample; negatives: the
    student logits of the other samples. Computed in fp32 (also under autocast).

    Args:
        tau (float): temperature.
        loss_weight (float): factor on the loss (the authors use 10).
        gather (bool): False (default, as the paper): negatives are the samples
            on this device. True: the student logits of all ranks are gathered
            (differentiably) and each rank's teacher rows are contrasted with
            all of them, targets offset by the rank's position; with gradients
            averaged over ranks this equals the loss on the whole batch.

    Shapes:
        student, teacher ``[B, C]`` video-level logits -> scalar.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 10.0, gather: bool = False):
        super().__init__(loss_weight=loss_weight)
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        self.tau, self.gather = tau, gather
        self._warned = False

    def _forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        if student.shape != teacher.shape or student.dim() != 2:
            raise ValueError(f'CKDLoss takes [B, C] student and teacher logits, got '
                             f'{tuple(student.shape)} and {tuple(teacher.shape)}.')
        with torch.autocast(device_type=student.device.type, enabled=False):
            s = F.normalize(student.float(), dim=1, eps=1e-12)
            t = F.normalize(teacher.detach().float(), dim=1, eps=1e-12)
            offset = 0
            if self.gather:
                s, offset = gather_students(s)
            if s.shape[0] == 1:
                if not self._warned:
                    warnings.warn('CKDLoss with a batch of 1 has no negatives; it '
                                  'contributes 0. Use a larger batch.')
                    self._warned = True
                return student.sum() * 0.0
            logits = t @ s.t() / self.tau                       # rows: teachers
            target = torch.arange(t.shape[0], device=t.device) + offset
            return F.cross_entropy(logits, target)
