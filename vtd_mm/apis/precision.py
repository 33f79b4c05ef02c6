"""The precision a model runs inference in: fp32, or autocast to bf16 / fp16."""
import contextlib
import logging
from typing import Tuple

import torch
from mmengine.logging import print_log

from ..engine.autocast_optim_wrapper import cpu_has_bf16_units

PRECISIONS = ('auto', 'fp32', 'bf16', 'fp16')
DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)
# bf16 pays where the matmuls are large: 3.9x the fp32 frames/s for a
# ViT-B/16 recognizer (150M weights) on an AMX Xeon, while the demo's tiny
# CLIP (3.7M) trains 1.25x slower in bf16 (docs/performance.md)
AUTO_BF16_MIN_PARAMETERS = 20_000_000


def resolve_precision(model: torch.nn.Module, precision: str = 'auto') -> Tuple[str, str]:
    """``precision`` for ``model`` on its device, and why: ``'auto'`` is bf16
    on a GPU that supports it and on a CPU with bf16 units (``avx512_bf16`` /
    ``amx_bf16``) for a model of at least 20M weights, fp32 otherwise.
    fp16 needs a GPU; bf16 on a CPU without bf16 units is slow (emulated) and
    warned about."""
    if precision not in PRECISIONS:
        raise ValueError(f'precision must be one of {PRECISIONS}, got {precision!r}')
    device = next(model.parameters()).device
    size = sum(p.numel() for p in model.parameters())
    if precision == 'fp16' and device.type != 'cuda':
        raise ValueError('fp16 inference needs a GPU; on a CPU use bf16 (or fp32).')
    if device.type == 'cuda':
        if precision == 'auto':
            return ('bf16', 'GPU with bf16') if torch.cuda.is_bf16_supported() else \
                ('fp16', 'GPU without bf16')
        return precision, 'asked for'
    units = cpu_has_bf16_units()
    if precision == 'bf16' and units is False:
        print_log('bf16 on a CPU without bf16 units (no avx512_bf16 / amx_bf16): its '
                  'matmuls are emulated and far slower than fp32.', logger='current',
                  level=logging.WARNING)
    if precision != 'auto':
        return precision, 'asked for'
    if not units:
        return 'fp32', 'CPU without bf16 units'
    if size < AUTO_BF16_MIN_PARAMETERS:
        return 'fp32', f'model of {size / 1e6:.1f}M weights: too small to gain from bf16'
    return 'bf16', 'CPU with bf16 units'


def choose_precision(model: torch.nn.Module, precision: str = 'auto') -> str:
    """:func:`resolve_precision`, said in the log (``precision: bf16 (CPU
    with bf16 units)``)."""
    chosen, why = resolve_precision(model, precision)
    print_log(f'precision: {chosen} ({why})', logger='current')
    return chosen


def autocast_for(model: torch.nn.Module, precision: str):
    """A context that runs ``model``'s forward in ``precision`` (resolved):
    ``torch.autocast`` to bf16 / fp16 (the VTD head keeps its softmax and
    logits in fp32), or nothing for fp32."""
    if precision in ('auto', None):
        raise ValueError('resolve the precision first (resolve_precision)')
    if precision == 'fp32':
        return contextlib.nullcontext()
    return torch.autocast(next(model.parameters()).device.type, dtype=DTYPES[precision])
