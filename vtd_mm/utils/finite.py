"""Names of tensors that hold NaN or Inf."""
from typing import Dict, List, Sequence

import torch

# additive attention masks hold -inf by design: only NaN is damage there
MASKS = ('attn_mask', )


def non_finite_names(tensors: Dict[str, object], masks: Sequence[str] = MASKS) -> List[str]:
    """The names of the floating-point tensors of ``tensors`` that hold a NaN
    or an infinity (only NaN for names ending in one of ``masks``; other
    values are skipped)."""
    bad = []
    for name, t in tensors.items():
        if not (torch.is_tensor(t) and t.is_floating_point()):
            continue
        ok = ~torch.isnan(t) if name.endswith(tuple(masks)) else torch.isfinite(t)
        if not bool(ok.all()):
            bad.append(name)
    return bad


def listed(names: List[str], n: int = 5) -> str:
    """The first ``n`` names, comma-separated, and how many more there are."""
    more = f' and {len(names) - n} more' if len(names) > n else ''
    return ', '.join(names[:n]) + more
