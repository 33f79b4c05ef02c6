"""MMAction2's TimeSformer giving one token per frame instead of its class token."""
import torch
from mmaction.models.backbones import TimeSformer
from mmaction.registry import MODELS

from .captured_output import captured_outputs


@MODELS.register_module()
class TimeSformerFrames(TimeSformer):
    """:class:`mmaction.models.TimeSformer` (same arguments, same weights)
    whose output is a token per input frame, for heads that read frames
    (:class:`~vtd_mm.models.VTDHead`).

    - ``divided_space_time`` / ``joint_space_time``: the frame's patch tokens
      after the final norm, averaged (the class token is one per video);
    - ``space_only``: the frame's own class token after the final norm
      (the frames are encoded independently; TimeSformer averages them).

    Shapes:
        input ``[N, 3, T, H, W]`` -> output ``[N, C, T]`` (C = ``embed_dims``).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batches = x.shape[0]
        with captured_outputs(self.transformer_layers) as outputs:
            super().forward(x)
        tokens = outputs[0]
        t = self.num_frames
        if self.attention_type == 'space_only':
            # [N * T, 1 + P, C]: the class token of each frame
            frames = self.norm(tokens[:, 0]).reshape(batches, t, -1)
        else:
            # [N, 1 + P * T, C], patch tokens ordered (patch, time)
            patches = self.norm(tokens)[:, 1:]
            frames = patches.reshape(batches, -1, t, patches.shape[-1]).mean(1)
        return frames.transpose(1, 2)
