"""Tolerances for comparing two computations, derived from their arithmetic.

The machines that run the suite differ (AVX2 AMD, AVX-512 / AMX Intel) and
their BLAS sum dot products in other orders, so a tolerance that merely passed
on one machine fails on another. Two rules follow:

1. Two code paths that must be *algebraically* equal (vectorised vs. loops,
   shared prefix vs. full sequence, ours vs. open_clip's blocks, converted vs.
   original model) are compared in float64. Each rounding there is at most
   ``EPS64 = 2.2e-16`` relative; a tiny CLIP path chains a few hundred such
   steps on values of magnitude <= 10: at most 300 * 10 * 2.2e-16 = 6.6e-13
   absolute before the head, which amplifies errors by at most
   ``1 / temperature = 100`` (softmax over frames) times ``exp(logit_scale)``
   (<= 100): 6.6e-9 worst case, so ``TOL64 = 1e-8``. Typical errors are far
   smaller, and 1e-8 sits 5 orders of magnitude below the smallest modelling
   error these tests exist to catch (GELU vs. QuickGELU ~1e-2, one prompt
   token out of place ~1e-3).
2. Where float32 itself is under test, the bound is the float32 rounding of
   the computation at hand (see :func:`dot_error`), times its amplification.
"""
import torch

EPS32 = torch.finfo(torch.float32).eps   # 1.19e-07
EPS64 = torch.finfo(torch.float64).eps   # 2.22e-16
TOL64 = 1e-8


def dot_error(length: int, eps: float = EPS32) -> float:
    """Worst-case relative rounding error of a dot product of ``length``
    terms (Higham, Accuracy and Stability of Numerical Algorithms, 3.1):
    ``length * eps`` relative to the sum of absolute products. It holds for
    any summation order, i.e. for any BLAS kernel."""
    return length * eps


def assert_close64(actual, expected, tol: float = TOL64):
    """float64 results of two algebraically equal computations (rule 1)."""
    assert actual.dtype == torch.float64 and expected.dtype == torch.float64, \
        (actual.dtype, expected.dtype)
    torch.testing.assert_close(actual, expected, atol=tol, rtol=tol)
