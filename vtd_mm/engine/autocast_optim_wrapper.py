"""Mixed-precision training steps on any device, CPU included (bf16 autocast)."""
import contextlib
import logging
from typing import Optional

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

BF16_CPU_FLAGS = ('avx512_bf16', 'amx_bf16')


def cpu_has_bf16_units(cpuinfo: str = '/proc/cpuinfo') -> Optional[bool]:
    """Whether the CPU computes bf16 matmuls natively (``avx512_bf16`` or
    ``amx_bf16``); None where ``/proc/cpuinfo`` cannot tell (not Linux)."""
    try:
        with open(cpuinfo) as f:
            flags = next((line.split(':', 1)[1].split() for line in f
                          if line.startswith('flags')), None)
    except OSError:
        return None
    return None if flags is None else any(flag in flags for flag in BF16_CPU_FLAGS)


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
        self._device_checked = False

    def _check_device(self, device: str) -> None:
        """A CPU without bf16 units emulates bf16 matmuls: far slower than fp32
        (measured on one Zen 4 CPU with oneDNN limited to AVX2: 0.9 vs 103
        GFLOP/s; to AVX-512 without bf16: 34 vs 54)."""
        if device == 'cpu' and cpu_has_bf16_units() is False:
            print_log(
                'bf16 autocast on a CPU without bf16 units (no avx512_bf16 / amx_bf16 '
                'in /proc/cpuinfo): its bf16 matmuls are emulated and train slower '
                'than fp32. Train without --amp here (fp32), or measure both with '
                'tools/analysis/benchmark_clip.py --dtype fp32 bf16.',
                logger='current', level=logging.WARNING)
        self._device_checked = True

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module):
        device = next(model.parameters()).device.type
        if not self._device_checked:
            self._check_device(device)
        with super().optim_context(model), torch.autocast(device_type=device,
                                                          dtype=self.cast_dtype):
            yield
