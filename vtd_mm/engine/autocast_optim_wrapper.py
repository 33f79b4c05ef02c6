"""Mixed-precision training steps on any device, CPU included (bf16 autocast)."""
import contextlib

import torch
from mmengine.optim import OptimWrapper
from mmaction.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose training forward runs under ``torch.autocast``.

    mmengine's ``AmpOptimWrapper`` asserts a GPU (CUDA / NPU / MLU); this wrapper
    runs the forward and loss of each training step under autocast on the
    device the model is on, CPU included. ``bfloat16`` (default) keeps fp32's
    exponent range, so no loss scaling is needed; ``float16`` is refused here
    (use ``AmpOptimWrapper`` on a GPU, which scales the loss). The weights, the
    gradients and the optimizer stay fp32; ``VTDHead`` keeps its softmax and
    logits in fp32 under autocast. ``tools/train.py --amp`` picks this wrapper
    on a machine without a GPU.

    Args:
        dtype (str | torch.dtype): autocast dtype, ``'bfloat16'``.
        **kwargs: as :class:`OptimWrapper`.
    """

    def __init__(self, *args, dtype='bfloat16', **kwargs):
        super().__init__(*args, **kwargs)
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if dtype is not torch.bfloat16:
            raise ValueError(f'AutocastOptimWrapper trains in bfloat16 (no loss scaling); '
                             f'got {dtype}. For float16 use AmpOptimWrapper on a GPU.')
        self.cast_dtype = dtype

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device,
                                                          dtype=self.cast_dtype):
            yield
