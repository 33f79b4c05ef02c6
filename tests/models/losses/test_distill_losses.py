"""CKD (and the KD / DIST baselines) against their equations; CKD across ranks."""
import math
import os
import warnings

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

from ...numerics import EPS32, dot_error


def ckd_tol(batch, classes, tau):
    """float32 rounding bound of the CKD loss (tests/numerics.py, rule 2).

    Each logit t_i.s_j / tau is a cosine of width ``classes`` (plus the two
    normalisations): off by at most ``dot_error(classes + 2) / tau``; -log
    softmax moves by at most twice that. Its exp / sum over ``batch`` / log
    add ``(batch + 4) * eps32`` relative to logits of size <= 1 / tau.
    """
    return 2 * dot_error(classes + 2) / tau + (batch + 4) * EPS32 / tau


def ckd_reference(student, teacher, tau):
    """The spec's equations, written out with loops in float64."""
    s = [z / z.norm() for z in student.double()]
    t = [z / z.norm() for z in teacher.double()]
    b = len(s)
    total = 0.0
    for i in range(b):
        m = [float(t[i] @ s[j]) / tau for j in range(b)]
        total += -math.log(math.exp(m[i]) / sum(math.exp(x) for x in m))
    return total / b


def logits(b=6, c=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, c, generator=g) * 3, torch.randn(b, c, generator=g) * 3


@pytest.mark.parametrize('tau', [1.0, 2.0, 0.5])
def test_ckd_equals_equations(tau):
    s, t = logits()
    loss = MODELS.build(dict(type='CKDLoss', tau=tau, loss_weight=1.0))(s, t)
    assert loss.dtype == torch.float32
    assert abs(float(loss) - ckd_reference(s, t, tau)) < ckd_tol(6, 10, tau)
    weighted = MODELS.build(dict(type='CKDLoss', tau=tau))(s, t)  # default weight 10
    torch.testing.assert_close(weighted, 10 * loss)


def test_ckd_properties():
    ckd = MODELS.build(dict(type='CKDLoss', tau=1.0, loss_weight=1.0))
    s, t = logits(b=8)
    base = ckd(s, t)
    scale = torch.rand(8, 1) * 5 + 0.1  # positive per-sample scaling of either side
    tol = 2 * ckd_tol(8, 10, 1.0)  # both losses carry their own rounding
    torch.testing.assert_close(ckd(s * scale, t), base, atol=tol, rtol=0)
    torch.testing.assert_close(ckd(s, t * scale), base, atol=tol, rtol=0)
    same = torch.ones(8, 10)
    assert abs(float(ckd(same, same)) - math.log(8)) < 1e-6  # all logits identical: ln B
    for tau in (0.5, 1.0, 2.0):
        bound = math.log(1 + 7 * math.exp(-2 / tau))
        for seed in range(5):
            s, t = logits(b=8, seed=seed)
            assert float(MODELS.build(dict(type='CKDLoss', tau=tau, loss_weight=1.0))(s, t)) \
                >= bound - 1e-6
    # gradients reach the student only
    s.requires_grad_()
    t.requires_grad_()
    ckd(s, t).backward()
    assert s.grad.abs().sum() > 0 and t.grad is None


def test_ckd_batch_of_one_and_autocast():
    ckd = MODELS.build(dict(type='CKDLoss'))
    s = torch.randn(1, 5, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        first, second = ckd(s, torch.randn(1, 5)), ckd(s, torch.randn(1, 5))
    assert first.detach().item() == second.detach().item() == 0.0
    assert sum('batch of 1' in str(w.message) for w in caught) == 1  # warned once
    first.backward()
    assert s.grad is not None  # still part of the graph (DDP sees the parameters used)
    s, t = logits()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = ckd(s.bfloat16(), t.bfloat16())
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ckd(s.bfloat16().float(), t.bfloat16().float()))


def test_gathered_equals_per_device_on_one_process():
    s, t = logits()
    a = MODELS.build(dict(type='CKDLoss', gather=True))(s, t)
    b = MODELS.build(dict(type='CKDLoss', gather=False))(s, t)
    torch.testing.assert_close(a, b, atol=0, rtol=0)


def _gathered_worker(rank, world, init_file, s, t, out_dir):
    import torch.distributed as dist

    import vtd_mm  # noqa: F401
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=world)
    from vtd_mm.models import CKDLoss
    b = s.shape[0] // world
    local = s[rank * b:(rank + 1) * b].clone().requires_grad_()
    loss = CKDLoss(tau=2.0, loss_weight=1.0, gather=True)(local, t[rank * b:(rank + 1) * b])
    loss.backward()
    mean = loss.detach().clone()
    dist.all_reduce(mean)
    torch.save(dict(loss=mean / world, grad=local.grad), os.path.join(out_dir, f'{rank}.pt'))
    dist.destroy_process_group()


def test_gathered_loss_across_two_processes(tmp_path):
    """Two gloo ranks with gathered negatives = one process on the whole batch."""
    import torch.multiprocessing as mp
    s, t = logits(b=8, seed=3)
    mp.spawn(_gathered_worker, args=(2, str(tmp_path / 'init'), s, t, str(tmp_path)),
             nprocs=2, join=True)
    whole = s.clone().requires_grad_()
    loss = MODELS.build(dict(type='CKDLoss', tau=2.0, loss_weight=1.0))(whole, t)
    loss.backward()
    ranks = [torch.load(tmp_path / f'{r}.pt') for r in range(2)]
    # the same terms, summed in another order: both within the rounding bound
    torch.testing.assert_close(ranks[0]['loss'], loss.detach(), atol=2 * ckd_tol(8, 10, 2.0),
                               rtol=0)
    # each rank's gradient sums all ranks' losses; DDP then averages over the 2 ranks.
    # d loss / d s is O(1 / (tau * B * |s|)): the same relative bound applies
    grad = torch.cat([r['grad'] for r in ranks]) / 2
    torch.testing.assert_close(grad, whole.grad, atol=2 * ckd_tol(8, 10, 2.0) *
                               float(whole.grad.abs().max()), rtol=2 * ckd_tol(8, 10, 2.0))
    # per-device negatives give another loss: the gather really changes something
    local = MODELS.build(dict(type='CKDLoss', tau=2.0, loss_weight=1.0))
    per_device = (local(s[:4], t[:4]) + local(s[4:], t[4:])) / 2
    assert abs(per_device.item() - loss.detach().item()) > 1e-3


def test_kd_and_dist_equal_their_formulas():
    s, t = logits()
    kd = MODELS.build(dict(type='KDLoss', tau=4.0))(s, t)
    p_t, p_s = F.softmax(t.double() / 4, 1), F.softmax(s.double() / 4, 1)
    ref = 16 * (p_t * (p_t.log() - p_s.log())).sum(1).mean()
    # fp32 log-softmax of logits <= L = max|z| / tau is off by ~ (C + 2) eps32 L;
    # the KL sums C such terms per sample, times tau^2 = 16
    L = float(torch.cat([s, t]).abs().max()) / 4
    assert abs(float(kd) - float(ref)) < 16 * 2 * 10 * dot_error(10 + 2) * L

    def pearson(a, b):
        a, b = a - a.mean(), b - b.mean()
        return float((a * b).sum() / (a.norm() * b.norm()))
    y_s, y_t = F.softmax(s.double(), 1), F.softmax(t.double(), 1)
    inter = 1 - sum(pearson(y_s[i], y_t[i]) for i in range(6)) / 6
    intra = 1 - sum(pearson(y_s[:, c], y_t[:, c]) for c in range(10)) / 10
    dist = MODELS.build(dict(type='DISTLoss', tau=1.0, beta=1.0, gamma=2.0))(s, t)
    # fp32 correlations of length <= 10 after a softmax: each off by at most
    # ~ 3 dot_error(10) (centred products and two norms); 1 + 2 of them summed
    assert abs(float(dist) - (inter + 2 * intra)) < 3 * 3 * dot_error(10 + 2)
    assert float(MODELS.build(dict(type='DISTLoss'))(t, t)) < 3 * 3 * dot_error(10 + 2)
    s.requires_grad_()
    t.requires_grad_()
    (MODELS.build(dict(type='KDLoss'))(s, t) + MODELS.build(dict(type='DISTLoss'))(s, t)).backward()
    assert s.grad is not None and t.grad is None
