"""tools/convert_checkpoint.py against an independent model in the authors' layout."""
import os
import sys

import pytest
import torch
from mmaction.registry import MODELS

from vtd_mm.models.checkpoint_fit import CheckpointMismatchError

from ..conftest import make_clip
from ..numerics import assert_close64
from ..paths import ROOT  # noqa: E402
from ..vtd_reference import ReferenceVTD

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import convert_checkpoint  # noqa: E402

NAMES = ['red square', 'green circle', 'blue star', 'white ring']


def randomise(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if ('ln' in name or 'norm' in name) and name.endswith('weight'):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif name.endswith('bias'):
                p.copy_(0.02 * torch.randn_like(p))


def vtd_model(arch, n_vis, d_vis, n_txt, d_txt, quick_gelu=None, pretrained=None):
    return MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='CLIPVisionBackbone', arch=arch, n_ctx=n_vis, depth=d_vis,
                      quick_gelu=quick_gelu, pretrained=pretrained),
        cls_head=dict(type='VTDHead', num_classes=len(NAMES), in_channels=32, num_frames=5,
                      class_names=NAMES,
                      text_encoder=dict(type='CLIPTextEncoder', arch=arch, quick_gelu=quick_gelu,
                                        pretrained=pretrained, prompt_learner=dict(
                                            type='TextPromptLearner', n_ctx=n_txt, depth=d_txt)),
                      fusion=dict(type='ConfidenceAwareFusion', num_heads=4))))


def test_converted_model_gives_the_same_logits(tiny_arch, tmp_path):
    """The authors' model (QuickGELU, as every OpenAI CLIP) on a CLIP file in
    OpenAI's layout saved in fp32, which does not reveal its activation: the
    converter records QuickGELU and the model built as it prints equals the
    reference; built with GELU it refuses the checkpoint."""
    torch.manual_seed(0)
    ref = ReferenceVTD(tiny_arch, NAMES, n_vis=3, d_vis=2, n_txt=4, d_txt=3, quick_gelu=True)
    randomise(ref)
    with torch.no_grad():  # the authors train in fp16: weights that fp16 holds exactly
        for p in ref.parameters():
            p.copy_(p.half().float())
    ref.refresh_token_buffers()
    ref.eval()
    # CLIP weights file (OpenAI layout, fp32): the reference's token embedding
    clip = make_clip(tiny_arch, quick_gelu=True, seed=1)
    clip.token_embedding.weight.data.copy_(ref.text_encoder.token_embedding.weight)
    clip_path = tmp_path / 'clip.pt'
    torch.save(clip.state_dict(), clip_path)
    # the authors' checkpoint: DataParallel prefix, fp16, no token embedding
    sd = {f'module.{k}': v.half() for k, v in ref.state_dict().items()
          if not k.startswith('text_encoder.token_embedding')}
    src = tmp_path / 'vtd_best.pth'
    torch.save({'model': sd, 'epoch': 30, 'max_accuracy': 0.5}, src)
    out = tmp_path / 'vtd_mm.pth'
    settings = convert_checkpoint.main([str(src), str(clip_path), str(out)])
    assert settings == dict(vision_n_ctx=3, vision_depth=2, text_n_ctx=4, text_depth=3,
                            fusion=True, quick_gelu=True)

    converted = torch.load(out, weights_only=True)['state_dict']
    model = vtd_model(tiny_arch, 3, 2, 4, 3, quick_gelu=settings['quick_gelu']).eval()
    model.load_state_dict(converted, strict=True)
    videos = torch.randn(2, 5, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        ours = model.cls_head(model.backbone(videos.flatten(0, 1)), num_segs=5)
        theirs = ref(videos)
        assert_close64(model.double().cls_head(model.backbone(videos.double().flatten(0, 1)),
                                               num_segs=5), ref.double()(videos.double()))
    # fp32 against fp32: the spec's 1e-4 (softmax at temperature 0.01 amplifies
    # the fp32 rounding of the cosines 100x; tests/numerics.py)
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=1e-5)
    # built with the CLIP file alone, the activation would be guessed (GELU)
    # and the recorded one contradicts it: an error, not logits off by ~1e-2
    guessed = vtd_model(tiny_arch, 3, 2, 4, 3, pretrained=str(clip_path))
    with pytest.raises(CheckpointMismatchError, match='made with QuickGELU.*uses GELU'):
        guessed.load_state_dict(converted)


def test_vifi_clip_layout_and_errors(tiny_arch, tmp_path):
    torch.manual_seed(0)
    ref = ReferenceVTD(tiny_arch, NAMES, n_vis=3, d_vis=1, n_txt=4, d_txt=1)
    sd = {k: v for k, v in ref.state_dict().items()
          if not k.startswith(('lrf.', 'text_encoder.token_embedding'))}
    src = tmp_path / 'vifi.pth'
    torch.save({'model': sd}, src)
    clip_path = tmp_path / 'clip.pt'
    torch.save(make_clip(tiny_arch).state_dict(), clip_path)
    settings = convert_checkpoint.main([str(src), str(clip_path), str(tmp_path / 'out.pth')])
    assert settings == dict(vision_n_ctx=3, vision_depth=1, text_n_ctx=4, text_depth=1,
                            fusion=False, quick_gelu=True)
    # no fusion in ViFi-CLIP: a VTD model refuses it, one without fusion loads it
    converted = torch.load(tmp_path / 'out.pth', weights_only=True)['state_dict']
    with pytest.raises(CheckpointMismatchError, match='lacks cls_head.fusion'):
        vtd_model(tiny_arch, 3, 1, 4, 1, quick_gelu=True).load_state_dict(converted, strict=False)
    model = vtd_model(tiny_arch, 3, 1, 4, 1, quick_gelu=True)
    model.cls_head.fusion = None
    model.load_state_dict(converted, strict=True)

    sd['surprise.weight'] = torch.zeros(1)
    torch.save({'model': sd}, src)
    with pytest.raises(ValueError, match='surprise.weight'):
        convert_checkpoint.main([str(src), str(clip_path), str(tmp_path / 'x.pth')])
    torch.save({'model': {'fc.weight': torch.zeros(1)}}, src)
    with pytest.raises(ValueError, match='not a VTD'):
        convert_checkpoint.main([str(src), str(clip_path), str(tmp_path / 'x.pth')])


def test_unreadable_sources(tiny_arch, tmp_path):
    """An empty source file is named as such; only a file the safe loader
    refuses is pointed to --trust-pickle."""
    import argparse
    clip_path = tmp_path / 'clip.pt'
    torch.save(make_clip(tiny_arch).state_dict(), clip_path)
    empty = tmp_path / 'vtd_best.pth'
    empty.write_bytes(b'')
    with pytest.raises(SystemExit, match=r'vtd_best.pth is empty \(0 bytes\)') as err:
        convert_checkpoint.main([str(empty), str(clip_path), str(tmp_path / 'x.pth')])
    assert '--trust-pickle' not in str(err.value)
    pickled = tmp_path / 'with_config.pth'
    torch.save({'model': {}, 'config': argparse.Namespace(lr=1)}, pickled)
    with pytest.raises(SystemExit, match='If you trust the file, add --trust-pickle'):
        convert_checkpoint.main([str(pickled), str(clip_path), str(tmp_path / 'x.pth')])
