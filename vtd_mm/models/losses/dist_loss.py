"""DIST (Huang et al., NeurIPS 2022): relational distillation by Pearson correlation."""
import torch
import torch.nn.functional as F
from mmaction.models.losses import BaseWeightedLoss
from mmaction.registry import MODELS


def _pearson(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Pearson correlation of the rows of ``a`` and ``b`` [N, D] -> [N]."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


@MODELS.register_module()
class DISTLoss(BaseWeightedLoss):
    """``tau^2 (beta (1 - mean_i rho(y^s_i, y^t_i)) + gamma (1 - mean_c rho(y^s_:c, y^t_:c)))``

    with ``y = softmax(z / tau)``: inter-class relations per sample and
    intra-class relations per class over the batch. Shapes: ``[B, C]`` -> scalar.
    """

    def __init__(self, tau: float = 1.0, beta: float = 1.0, gamma: float = 1.0,
                 loss_weight: float = 1.0):
        super().__init__(loss_weight=loss_weight)
        self.tau, self.beta, self.gamma = tau, beta, gamma

    def _forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=student.device.type, enabled=False):
            y_s = F.softmax(student.float() / self.tau, dim=1)
            y_t = F.softmax(teacher.detach().float() / self.tau, dim=1)
            inter = 1 - _pearson(y_s, y_t).mean()
            intra = 1 - _pearson(y_s.t(), y_t.t()).mean()
        return self.tau ** 2 * (self.beta * inter + self.gamma * intra)
