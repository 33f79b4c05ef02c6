"""VTDHead on what MMAction2's backbones give: two SlowFast pathways, MViT's
outputs per scale, per-frame tokens, one pooled feature per clip; and the
per-frame tokens of TimeSformerFrames / UniFormerV2Frames. References are
loops over views and time steps, in float64."""
import pytest
import torch
import torch.nn as nn
from mmaction.registry import MODELS

from ...conftest import warnings_logged
from ...numerics import assert_close64
from .test_vtd_head import NAMES, build_head


def frames_of(head, feats, num_segs=None):
    with torch.no_grad():
        return head.forward_details(feats, num_segs)


def test_slowfast_pathways_are_averaged_to_the_slow_steps_and_concatenated(tiny_arch):
    """Frame t = [slow step t, mean of the fast steps t*a .. t*a + a-1], each
    pooled over space; channels Cs + Cf as SlowFastHead."""
    head = build_head(tiny_arch, in_channels=24 + 8, num_frames=4).eval().double()
    slow = torch.randn(3, 24, 4, 2, 2, dtype=torch.float64)
    fast = torch.randn(3, 8, 16, 2, 2, dtype=torch.float64)        # alpha = 4
    ref = torch.empty(3, 32, 4, dtype=torch.float64)
    for v in range(3):
        for t in range(4):
            ref[v, :24, t] = slow[v, :, t].mean((1, 2))
            ref[v, 24:, t] = sum(fast[v, :, 4 * t + j].mean((1, 2)) for j in range(4)) / 4
    out = frames_of(head, (slow, fast))
    expected = frames_of(head, ref)
    assert out['frame_tokens'].shape == (3, 4)
    assert_close64(out['logits'], expected['logits'])
    assert_close64(out['fused'], expected['fused'])


def test_mvit_last_scale_patch_tokens(tiny_arch):
    head = build_head(tiny_arch, in_channels=32, num_frames=5).eval().double()
    coarse = torch.randn(2, 16, 5, 4, 4, dtype=torch.float64)
    patches = torch.randn(2, 32, 5, 2, 2, dtype=torch.float64)
    cls = torch.randn(2, 32, dtype=torch.float64)
    expected = frames_of(head, patches)
    for out in ((([coarse, cls[:, :16]], [patches, cls])), (coarse, patches), ([patches, cls], )):
        got = frames_of(head, out)
        assert torch.equal(got['logits'], expected['logits'])
    with pytest.raises(ValueError, match='takes one tensor, two SlowFast pathways'):
        head.forward_details((cls, cls))


def test_frame_tokens_and_pooled_clips(tiny_arch, mmlog):
    """[V, C, T] reads as [V, C, T, 1, 1]; a pooled [V, C] after a 3D backbone
    is one token per clip: weight 1, logits = scale * cos(fused, c_k)."""
    head = build_head(tiny_arch, num_frames=None).eval().double()
    tokens = torch.randn(3, 32, 5, dtype=torch.float64)
    assert torch.equal(frames_of(head, tokens)['logits'],
                       frames_of(head, tokens[..., None, None])['logits'])
    clips = torch.randn(3, 32, dtype=torch.float64)
    out = frames_of(head, clips)
    frames_of(head, clips)
    said = [m for m in warnings_logged(mmlog) if 'one feature per clip' in m]
    assert len(said) == 1 and 'each clip is one token' in said[0]   # once per head
    assert out['frame_tokens'].shape == (3, 1)
    assert torch.equal(out['weights'], torch.ones(3, 1, len(NAMES), dtype=torch.float64))
    codebook = head.text_encoder(head.class_names)
    cos = torch.nn.functional.cosine_similarity(out['fused'][:, 0, None], codebook[None], dim=-1)
    assert_close64(out['logits'], head.logit_scale.exp() * cos)
    with pytest.raises(ValueError, match=r'one feature per clip \(3, 32\).*num_frames=8.*'
                                         'TimeSformerFrames'):
        build_head(tiny_arch, num_frames=8).forward_details(clips.float())


def test_tsn_sampling_message(tiny_arch):
    head = build_head(tiny_arch, num_frames=8)
    with pytest.raises(ValueError, match='250 frames per video cannot be split into views of '
                                         'num_frames=8.*set num_frames=None'):
        head.forward_details(torch.randn(250, 32), num_segs=250)
    out = frames_of(build_head(tiny_arch, num_frames=None), torch.randn(250, 32), num_segs=250)
    assert out['frame_tokens'].shape == (1, 250)


def identity_norm(model, attr):
    setattr(model, attr, nn.Identity())
    return model


@pytest.mark.parametrize('attention', ['divided_space_time', 'joint_space_time', 'space_only'])
def test_timesformer_frames(attention):
    torch.manual_seed(0)
    cfg = dict(num_frames=3, img_size=32, patch_size=16, embed_dims=24, num_heads=2,
               num_transformer_layers=2, attention_type=attention, pretrained=None)
    plain = MODELS.build(dict(cfg, type='TimeSformer')).eval().double()
    frames = MODELS.build(dict(cfg, type='TimeSformerFrames')).eval().double()
    frames.load_state_dict(plain.state_dict())             # the same weights
    x = torch.randn(2, 3, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        out = frames(x)
        assert out.shape == (2, 24, 3)
        for model in (plain, frames):
            identity_norm(model, 'norm')
        out, pooled = frames(x), plain(x)
        captured = []
        handle = plain.transformer_layers.register_forward_hook(
            lambda m, i, o: captured.append(o))
        plain(x)
        handle.remove()
    tokens = captured[0]
    for n in range(2):
        for t in range(3):
            if attention == 'space_only':   # frame t's own class token
                ref = tokens[n * 3 + t, 0]
            else:                           # patch tokens of frame t, ordered (p, t)
                ref = torch.stack([tokens[n, 1 + p * 3 + t] for p in range(4)]).mean(0)
            assert_close64(out[n, :, t], ref)
    if attention == 'space_only':           # TimeSformer averages the frames
        assert_close64(out.mean(-1), pooled)


def test_uniformerv2_frames_average_to_its_pooled_feature():
    """Before the final norm the frames average to UniFormerV2's own output."""
    torch.manual_seed(0)
    cfg = dict(input_resolution=32, patch_size=16, width=48, layers=4, heads=4, t_size=4,
               n_layers=2, n_dim=48, n_head=4, mlp_dropout=[0.0, 0.0], return_list=[2, 3],
               clip_pretrained=False)
    plain = MODELS.build(dict(cfg, type='UniFormerV2')).eval().double()
    frames = MODELS.build(dict(cfg, type='UniFormerV2Frames')).eval().double()
    frames.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 4, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        assert frames(x).shape == (2, 48, 4)
        for model in (plain, frames):
            identity_norm(model.transformer, 'norm')
        assert_close64(frames(x).mean(-1), plain(x))
