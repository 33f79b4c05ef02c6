"""MMAction2's UniFormerV2 giving one token per time step instead of one per clip."""
import torch
from mmaction.models.backbones import UniFormerV2
from mmaction.registry import MODELS

from .captured_output import captured_outputs


@MODELS.register_module()
class UniFormerV2Frames(UniFormerV2):
    """:class:`mmaction.models.UniFormerV2` (same arguments, same weights)
    whose output is a token per time step, for heads that read frames
    (:class:`~vtd_mm.models.VTDHead`).

    UniFormerV2 ends with ``norm((1 - w) g + w mean_t e_t)``: ``g`` the
    global (video) token of its last global block, ``e_t`` the class token of
    time step t from its last local block, ``w = sigmoid(balance)``. Frame t
    gets ``norm((1 - w) g + w e_t)``: the same mix with its own class token
    instead of the mean, so the frames' average before the norm is the
    backbone's own pooled feature.

    Shapes:
        input ``[N, 3, T, H, W]`` -> output ``[N, C, T']`` (T' = T, halved with
        ``temporal_downsample``; C = ``width``).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tower = self.transformer
        with captured_outputs(tower.resblocks[-1], tower.dec[-1]) as outputs:
            super().forward(x)
        local, video = outputs
        steps = tower.T
        frames = local[0].reshape(-1, steps, local.shape[-1])          # [N, T', C]
        w = torch.sigmoid(tower.balance)
        return tower.norm((1 - w) * video[0][:, None] + w * frames).transpose(1, 2)
