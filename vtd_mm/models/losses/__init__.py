from .ckd_loss import CKDLoss
from .dist_loss import DISTLoss
from .kd_loss import KDLoss

__all__ = ['CKDLoss', 'DISTLoss', 'KDLoss']
