"""VTDHead and ConfidenceAwareFusion against the method's equations."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from ...numerics import EPS32, assert_close64, dot_error

NAMES = ['red circle', 'green star', 'blue square', 'yellow triangle', 'white ring']


def build_head(tiny_arch, **kwargs):
    cfg = dict(type='VTDHead', num_classes=len(NAMES), in_channels=32,
               class_names=NAMES,
               text_encoder=dict(type='CLIPTextEncoder', arch=tiny_arch,
                                 prompt_learner=dict(type='TextPromptLearner',
                                                     n_ctx=4, depth=2)),
               fusion=dict(type='ConfidenceAwareFusion', num_heads=4))
    cfg.update(kwargs)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def reference_fusion(fusion, f, z):
    """g_t = FC2(ReLU(FC1(MHA(q=f_t, k=z, v=z)))) for one frame f [D] and tokens z [M, D]."""
    h, d = fusion.num_heads, f.shape[0] // fusion.num_heads
    q, k, v = fusion.q_proj(f), fusion.k_proj(z), fusion.v_proj(z)
    heads = []
    for i in range(h):
        s = slice(i * d, (i + 1) * d)
        a = torch.softmax(k[:, s] @ q[s] / math.sqrt(d), dim=0)
        heads.append(a @ v[:, s])
    g = fusion.fc2(F.relu(fusion.fc1(fusion.out_proj(torch.cat(heads)))))
    return f + g


def reference_logits(head, frames, hub_correction=False):
    """Spec steps 3-6 for one view, frames [T, D], loops over frames and classes
    (``hub_correction``: step 1' of VTDHead, each frame's similarities minus
    their mean over the classes)."""
    c = head.text_encoder(NAMES)
    T, K = frames.shape[0], c.shape[0]
    s = torch.tensor([[F.cosine_similarity(frames[t], c[k], dim=0) for t in range(T)]
                      for k in range(K)], dtype=frames.dtype)          # [K, T]
    if hub_correction:
        s = torch.tensor([[float(s[k, t]) - sum(float(s[j, t]) for j in range(K)) / K
                           for t in range(T)] for k in range(K)], dtype=frames.dtype)
    w = torch.softmax(s / 0.01, dim=1)
    tokens = [min(range(K), key=lambda k: float((frames[t] - c[k]).square().sum()))
              for t in range(T)]
    votes = [sum(float(w[k, t]) for t in range(T) if tokens[t] == k) for k in range(K)]
    k_star = max(range(K), key=lambda k: votes[k])
    fused = torch.stack([reference_fusion(head.fusion, frames[t], c[k_star][None])
                         for t in range(T)])
    logits = torch.stack([
        sum(w[k, t] * F.cosine_similarity(fused[t], c[k], dim=0) for t in range(T))
        / w[k].sum() for k in range(K)]) * head.logit_scale.exp()
    return logits, torch.tensor(tokens), k_star, w


def clustered_frames(head, n_views, T, seed=0, one_class=False, noise=0.3):
    """Frames near codebook entries (each video's frames near one class with
    ``one_class``), so that tokens are not ties."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        c = head.text_encoder(NAMES)
    idx = torch.randint(0, len(NAMES), (n_views, 1 if one_class else T), generator=g)
    idx = idx.expand(n_views, T)
    eps = torch.randn(n_views, T, c.shape[1], generator=g, dtype=c.dtype)
    return c[idx] + noise * c.norm(dim=-1).mean() * eps / c.shape[1] ** 0.5


def decided_frames(head, n_views, T, margin):
    """:func:`clustered_frames` (each video near one class, noisy enough that
    some frames read as other classes) of the first seed whose every video's
    vote winner leads the runner-up by more than ``margin``, and some video
    reads frames as different classes.

    At temperature 0.01 each class's frame weights concentrate on its
    nearest frame, so a class whose nearest frame also carries its token
    polls a vote of almost exactly 1: two classes present in a video often
    tie to within 1e-10, and which wins is then a matter of rounding.
    """
    for seed in range(200):
        frames = clustered_frames(head, n_views, T, seed, one_class=True, noise=0.8)
        with torch.no_grad():
            out = head.forward_details(frames.reshape(-1, frames.shape[-1]), num_segs=T)
        decided = True
        for w, tokens in zip(out['weights'], out['frame_tokens']):  # [T, K], [T]
            votes = torch.zeros(w.shape[1], dtype=w.dtype).index_add_(
                0, tokens, w[torch.arange(T), tokens])
            top2 = votes.topk(2).values
            decided &= bool(top2[0] - top2[1] > margin)
        if decided and any(len(set(t.tolist())) > 1 for t in out['frame_tokens']):
            return frames
    raise AssertionError('no seed gives decided votes')


@pytest.mark.parametrize('hub_correction', [False, True])
def test_head_matches_equations(tiny_arch, hub_correction):
    """Vectorised head = per-frame, per-class loops, both in float64 (numerics rule 1)."""
    head = build_head(tiny_arch, num_frames=6, hub_correction=hub_correction).eval().double()
    frames = clustered_frames(head, 3, 6)
    with torch.no_grad():
        out = head.forward_details(frames.reshape(-1, 32), num_segs=6)
        assert out['logits'].dtype == torch.float64
        for v in range(3):
            logits, tokens, k_star, w = reference_logits(head, frames[v], hub_correction)
            assert_close64(out['logits'][v], logits)
            assert torch.equal(out['frame_tokens'][v], tokens)
            assert int(out['video_token'][v]) == k_star
            assert_close64(out['weights'][v], w.t())


def test_fp32_head_within_its_rounding_bound(tiny_arch):
    """The fp32 head against its float64 self, within a bound derived from fp32.

    A cosine of unit vectors of width D = 32 carries a rounding error of at
    most ``(D + 2) * eps32`` (a dot product plus the two normalisations); the
    softmax divides it by the temperature 0.01, so every weight is off by at
    most a relative ``2 * (D + 2) * eps32 / 0.01`` (numerator and
    denominator). The logits, a weighted mean of cosines times exp(scale),
    move by at most exp(scale) * (that relative error * the range of cos, 2,
    plus the cosine's own error).
    """
    cos_err = dot_error(32 + 2)
    weight_rtol = 2 * cos_err / 0.01
    head64 = build_head(tiny_arch, num_frames=6).eval().double()
    # a vote sums at most 6 weights <= 1: its fp32 error stays below 6 * weight_rtol,
    # so a lead of 10x that cannot be overturned and the video tokens must agree
    frames64 = decided_frames(head64, 3, 6, margin=10 * 6 * weight_rtol)
    head32 = build_head(tiny_arch, num_frames=6).eval()
    head32.load_state_dict(head64.state_dict())
    with torch.no_grad():
        ref = head64.forward_details(frames64.reshape(-1, 32), num_segs=6)
        # the fp32 head's input: the reference frames rounded to fp32
        out = head32.forward_details(frames64.float().reshape(-1, 32), num_segs=6)
    torch.testing.assert_close(out['weights'].double(), ref['weights'],
                               rtol=weight_rtol, atol=EPS32)
    # the fused features, hence the cosines after fusion, go through fp32
    # linear layers of width <= 4 * D: their error is bounded the same way
    fused_err = dot_error(4 * 32) * float(ref['fused'].abs().max())
    logit_atol = float(head64.logit_scale.detach().exp()) * (weight_rtol * 2 + cos_err + fused_err)
    torch.testing.assert_close(out['logits'].double(), ref['logits'], rtol=0, atol=logit_atol)
    assert torch.equal(out['frame_tokens'], ref['frame_tokens'])
    assert torch.equal(out['video_token'], ref['video_token'])


def test_views_are_scored_separately(tiny_arch):
    head = build_head(tiny_arch, num_frames=4).eval().double()
    frames = clustered_frames(head, 2 * 3, 4)          # 2 videos x 3 views
    samples = [ActionDataSample() for _ in range(2)]
    with torch.no_grad():
        preds = head.predict(frames.reshape(-1, 32), samples, num_segs=12)
        per_view = torch.stack([head(frames[v], num_segs=4)[0] for v in range(6)])
    expected = F.softmax(per_view.view(2, 3, -1), dim=-1).mean(1)
    for i, p in enumerate(preds):
        assert_close64(p.pred_score, expected[i])
        assert p.frame_tokens.shape == (3, 4) and p.frame_weights.shape == (3, 4)
        assert len(p.frame_token_names) == 3 and p.frame_token_names[0][0] in NAMES
        assert p.video_token.shape == (3,) and p.video_token_names[0] in NAMES
    with pytest.raises(ValueError, match='num_frames'):
        head(frames.reshape(-1, 32)[:10], num_segs=10)


def test_fusion_vectorised_equals_per_frame_loop(tiny_arch):
    fusion = MODELS.build(dict(type='ConfidenceAwareFusion', embed_dims=32, num_heads=4,
                               attn_drop=0.0)).double()
    f = torch.randn(2, 5, 32, dtype=torch.float64)
    z = torch.randn(2, 3, 32, dtype=torch.float64)         # three tokens per video
    with torch.no_grad():
        out = fusion(f, z)
        one = fusion(f, z[:, :1])
        for b in range(2):
            for t in range(5):
                assert_close64(out[b, t], reference_fusion(fusion, f[b, t], z[b]))
                assert_close64(one[b, t], reference_fusion(fusion, f[b, t], z[b, :1]))
    # attention dropout applies in training only
    fusion = MODELS.build(dict(type='ConfidenceAwareFusion', embed_dims=32,
                               num_heads=4)).double()
    fusion.train()
    torch.manual_seed(0)
    a = fusion(f, z[:, :1])
    fusion.eval()
    b = fusion(f, z[:, :1])
    assert not torch.allclose(a, b)


def test_gradients_and_fp32_under_autocast(tiny_arch):
    head = build_head(tiny_arch, num_frames=4).train()
    frames = torch.randn(8, 32, requires_grad=True)
    samples = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(2)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = head.forward_details(frames, num_segs=4)
        losses = head.loss(frames, samples, num_segs=4)
    assert out['logits'].dtype == torch.float32 and out['weights'].dtype == torch.float32
    losses['loss_cls'].backward()
    assert head.text_encoder.prompt_learner.ctx.grad.abs().sum() > 0
    assert head.logit_scale.grad is not None and head.fusion.fc2.weight.grad is not None
    assert frames.grad.abs().sum() > 0
    assert all(p.grad is None for p in head.text_encoder.text.parameters())
    assert 'top1_acc' in losses


def test_ablations_and_errors(tiny_arch):
    head = build_head(tiny_arch, num_frames=4, fusion=None, confidence=False).eval().double()
    frames = torch.randn(4, 32, dtype=torch.float64)
    with torch.no_grad():
        out = head.forward_details(frames, num_segs=4)
        c = F.normalize(head.text_encoder(NAMES), dim=-1)
        plain = F.normalize(frames, dim=-1) @ c.t()
    assert_close64(out['logits'][0], head.logit_scale.exp() * plain.mean(0))
    with pytest.raises(ValueError, match='num_classes=3 but the label set has 5'):
        build_head(tiny_arch, num_classes=3)
    with pytest.raises(ValueError, match='hub_correction=True .* needs confidence=True'):
        build_head(tiny_arch, confidence=False, hub_correction=True)
    resnet_head = build_head(tiny_arch, in_channels=64)
    assert resnet_head.proj.in_features == 64
    assert resnet_head(torch.randn(4, 64, 3, 3), num_segs=4).shape == (1, 5)


def test_whole_model_under_bf16_autocast(tiny_arch):
    """Both towers and the head under autocast; the head's softmax and logits stay fp32."""
    model = MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='CLIPVisionBackbone', arch=tiny_arch, n_ctx=2, depth=2),
        cls_head=dict(type='VTDHead', num_classes=len(NAMES), in_channels=32, num_frames=4,
                      class_names=NAMES,
                      text_encoder=dict(type='CLIPTextEncoder', arch=tiny_arch,
                                        prompt_learner=dict(type='TextPromptLearner',
                                                            n_ctx=4, depth=2)),
                      fusion=dict(type='ConfidenceAwareFusion', num_heads=4))))
    inputs = torch.randn(2, 4, 3, 32, 32)
    samples = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(2)]
    with torch.no_grad():
        fp32 = model.cls_head(model.backbone(inputs.flatten(0, 1)), num_segs=4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        feats = model.backbone(inputs.flatten(0, 1))
        out = model.cls_head.forward_details(feats, num_segs=4)
        loss = model(inputs, samples, mode='loss')['loss_cls']
    assert feats.dtype == torch.bfloat16
    assert out['logits'].dtype == torch.float32 and out['weights'].dtype == torch.float32
    assert torch.isfinite(loss)
    loss.backward()
    assert model.backbone.prompts.grad.abs().sum() > 0
    assert model.cls_head.text_encoder.prompt_learner.ctx.grad.abs().sum() > 0
    # Not an exactness check (rule 1 of tests/numerics.py cannot apply): bf16
    # keeps 8 bits, so worst-case bounds through the towers and a softmax at
    # temperature 0.01 are vacuous (logits may move by up to 2 * exp(scale)).
    # This sanity bound catches a broken bf16 path (wrong casts, overflow); the
    # largest deviation measured over 5 seeds with ATen's default, AVX2 and
    # AVX-512 kernels used 39% of it.
    torch.testing.assert_close(out['logits'], fp32, atol=0.5, rtol=0.05)
