"""CLIPVisionBackbone: exactness against open_clip, prompts, gradients, MMAction2 use."""
import pytest
import torch

from vtd_mm.models import CLIPVisionBackbone

from ...numerics import assert_close64
from ...open_clip_blocks import open_clip_block


def frames(n=4, size=32, seed=1, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g, dtype=dtype)


def reference_prompted(visual, prompts, x):
    """Deep visual prompts written with open_clip's own modules (nn.MultiheadAttention)."""
    n = prompts.shape[1]
    t = visual.conv1(x).flatten(2).transpose(1, 2)
    t = torch.cat([visual.class_embedding.expand(t.shape[0], 1, -1), t], 1)
    t = t + visual.positional_embedding
    t = torch.cat([t, prompts[0].expand(t.shape[0], -1, -1)], 1)
    t = visual.ln_pre(t)
    for i, block in enumerate(visual.transformer.resblocks):
        if 1 <= i < prompts.shape[0]:
            t = torch.cat([t[:, :-n], prompts[i].expand(t.shape[0], -1, -1)], 1)
        t = open_clip_block(visual.transformer, block, t)
    return visual.ln_post(t[:, 0]) @ visual.proj


def test_prompts_off_equals_open_clip(tiny_arch, tiny_clip, tiny_clip_file):
    backbone = CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file).double()
    x = frames(dtype=torch.float64)
    with torch.no_grad():
        ours, ref = backbone(x), tiny_clip.double().encode_image(x)
    assert ours.shape == (4, 32, 1, 1)
    assert_close64(ours.flatten(1), ref)
    assert_close64(backbone.encode_frames(x), ref)


@pytest.mark.parametrize('depth', [1, 2, 3])
def test_deep_prompts_match_reference(tiny_arch, tiny_clip, tiny_clip_file, depth):
    backbone = CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file,
                                  n_ctx=5, depth=depth).double()
    assert backbone.prompts.shape == (depth, 5, 64)
    x = frames(dtype=torch.float64)
    with torch.no_grad():
        ours = backbone.encode_frames(x)
        ref = reference_prompted(tiny_clip.double().visual, backbone.prompts, x)
    assert_close64(ours, ref)


def test_gradients_reach_prompts_only(tiny_arch):
    backbone = CLIPVisionBackbone(arch=tiny_arch, n_ctx=4, depth=3)
    backbone(frames()).square().sum().backward()
    assert all(p.grad is None for p in backbone.visual.parameters())
    assert not any(p.requires_grad for p in backbone.visual.parameters())
    grad = backbone.prompts.grad
    assert grad is not None
    for layer in range(3):
        assert grad[layer].abs().sum() > 0, f'no gradient at prompt depth {layer}'


def test_unfrozen_tower_trains(tiny_arch):
    backbone = CLIPVisionBackbone(arch=tiny_arch, freeze_clip=False)
    backbone(frames()).sum().backward()
    assert backbone.visual.conv1.weight.grad.abs().sum() > 0
    assert backbone.visual.transformer.resblocks[0].attn.in_proj_weight.grad is not None


def test_with_cp_is_exact(tiny_arch):
    torch.manual_seed(0)
    plain = CLIPVisionBackbone(arch=tiny_arch, n_ctx=4, depth=2)
    cp = CLIPVisionBackbone(arch=tiny_arch, n_ctx=4, depth=2, with_cp=True)
    cp.load_state_dict(plain.state_dict())
    x = frames()
    out_plain, out_cp = plain(x), cp(x)
    out_plain.square().sum().backward()
    out_cp.square().sum().backward()
    # checkpointing recomputes the same kernels on the same shapes: bitwise equal
    torch.testing.assert_close(out_cp, out_plain, atol=0, rtol=0)
    torch.testing.assert_close(cp.prompts.grad, plain.prompts.grad, atol=0, rtol=0)


def test_bad_arguments(tiny_arch):
    backbone = CLIPVisionBackbone(arch=tiny_arch)
    with pytest.raises(ValueError, match='32x32'):
        backbone(torch.zeros(1, 3, 48, 48))
    with pytest.raises(ValueError, match='depth'):
        CLIPVisionBackbone(arch=tiny_arch, n_ctx=4, depth=4)
    with pytest.raises(ValueError, match='Unknown CLIP architecture'):
        CLIPVisionBackbone(arch='ViT-Q-99')


def test_recognizer2d_with_tsn_head(tiny_arch):
    """The backbone in MMAction2's Recognizer2D: loss and predict modes."""
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    model = MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='CLIPVisionBackbone', arch=tiny_arch, n_ctx=2, depth=2),
        cls_head=dict(type='TSNHead', num_classes=5, in_channels=32,
                      spatial_type=None, average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor',
                               mean=[122.8, 116.7, 104.1], std=[68.5, 66.6, 70.3],
                               format_shape='NCHW')))
    inputs = [torch.randint(0, 255, (8, 3, 32, 32), dtype=torch.uint8) for _ in range(2)]
    samples = [ActionDataSample().set_gt_label(torch.tensor([i])) for i in range(2)]
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    assert model.backbone.prompts.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(dict(inputs=inputs, data_samples=samples)),
                      mode='predict')
    assert preds[0].pred_score.shape == (5,)
    torch.testing.assert_close(preds[0].pred_score.sum(), torch.tensor(1.0))


def test_clips_of_a_3d_recognizer_are_encoded_frame_by_frame(tiny_arch):
    """``[N, 3, T, H, W]`` -> ``[N, D, T, 1, 1]``: frame t of clip n is the
    embedding of that frame alone."""
    backbone = CLIPVisionBackbone(arch=tiny_arch, n_ctx=2, depth=2).double()
    clips = torch.randn(2, 3, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        out = backbone(clips)
        assert out.shape == (2, 32, 3, 1, 1)
        for n in range(2):
            for t in range(3):
                assert_close64(out[n, :, t, 0, 0],
                               backbone.encode_frames(clips[n, :, t][None])[0])
    with pytest.raises(ValueError, match=r'\[N, 3, T, H, W\]'):
        backbone(torch.zeros(3, 32, 32))
