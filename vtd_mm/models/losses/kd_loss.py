"""Hinton et al.'s knowledge distillation loss (KL divergence of softened outputs)."""
import torch
import torch.nn.functional as F
from mmaction.models.losses import BaseWeightedLoss
from mmaction.registry import MODELS


@MODELS.register_module()
class KDLoss(BaseWeightedLoss):
    """``tau^2 * KL(softmax(z^t / tau) || softmax(z^s / tau))``, mean over the batch.

    Shapes: student, teacher ``[B, C]`` -> scalar. Computed in fp32.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0):
        super().__init__(loss_weight=loss_weight)
        self.tau = tau

    def _forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=student.device.type, enabled=False):
            log_s = F.log_softmax(student.float() / self.tau, dim=1)
            log_t = F.log_softmax(teacher.detach().float() / self.tau, dim=1)
            kl = F.kl_div(log_s, log_t, reduction='batchmean', log_target=True)
        return kl * self.tau ** 2
