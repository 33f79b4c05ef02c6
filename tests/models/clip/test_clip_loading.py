"""CLIP weight files: layouts, OpenAI detection, read-once, clear errors."""
import copy

import open_clip
import pytest
import torch

from vtd_mm.models import CLIPTextEncoder, CLIPVisionBackbone, clear_cache
from vtd_mm.models.clip import weight_cache

from ...conftest import make_clip, warnings_logged
from ...numerics import assert_close64


def images(n=3):
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(3))


TEXTS = ['a dog.', 'someone playing the bagpipes.']


def check_towers_reproduce(model, arch, path, **kwargs):
    backbone = CLIPVisionBackbone(arch=arch, pretrained=path, **kwargs)
    encoder = CLIPTextEncoder(arch=arch, pretrained=path, mode='full', **kwargs)
    ids = open_clip.tokenize(TEXTS)
    x = images().double()
    model64 = copy.deepcopy(model).double()
    with torch.no_grad():  # float64: see tests/numerics.py
        assert_close64(copy.deepcopy(backbone).double().encode_frames(x), model64.encode_image(x))
        assert_close64(copy.deepcopy(encoder).double().encode_text(ids), model64.encode_text(ids))
    return backbone, encoder


def openai_clip(arch):
    """An OpenAI-style CLIP: QuickGELU, weights exactly representable in fp16."""
    model = make_clip(arch, quick_gelu=True, seed=5)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def test_openai_layout_file(tiny_arch, tmp_path):
    """OpenAI's state-dict layout (fp16, extra keys) loads into both towers, with QuickGELU."""
    model = openai_clip(tiny_arch)
    sd = {k: v.half() for k, v in model.state_dict().items()}
    sd.update(input_resolution=torch.tensor(32), context_length=torch.tensor(77),
              vocab_size=torch.tensor(49408))
    path = tmp_path / 'openai.pt'
    torch.save(sd, path)
    # the arch dict says GELU; the file is recognised as OpenAI's -> QuickGELU
    backbone, encoder = check_towers_reproduce(model, tiny_arch, str(path))
    assert type(backbone.visual.transformer.resblocks[0].mlp.gelu).__name__ == 'QuickGELU'
    assert type(encoder.text.transformer.resblocks[0].mlp.gelu).__name__ == 'QuickGELU'
    assert encoder.init_logit_scale == pytest.approx(model.logit_scale.detach().item())
    assert backbone.quick_gelu and encoder.quick_gelu
    # stating GELU contradicts what the file proves (OpenAI's keys)
    with pytest.raises(ValueError, match='trained with QuickGELU, but quick_gelu=False'):
        CLIPVisionBackbone(arch=tiny_arch, pretrained=str(path), quick_gelu=False)


def test_activation_of_an_ambiguous_file(tiny_arch, tmp_path, mmlog):
    """An fp32 OpenAI-layout file proves nothing: the stated activation is
    used; with none stated, the arch's default is used and a warning says so."""
    model = openai_clip(tiny_arch)                      # QuickGELU weights
    path = tmp_path / 'openai_fp32.pt'
    torch.save(model.state_dict(), path)                # fp32, no extra keys
    backbone, encoder = check_towers_reproduce(model, tiny_arch, str(path), quick_gelu=True)
    assert backbone.quick_gelu and encoder.quick_gelu and not warnings_logged(mmlog)
    guessed = CLIPVisionBackbone(arch=tiny_arch, pretrained=str(path))
    assert not guessed.quick_gelu
    logged = warnings_logged(mmlog)
    assert len(logged) == 1 and 'uses GELU' in logged[0] and 'quick_gelu=True' in logged[0]
    # the guess really gives other features (so the warning matters)
    with torch.no_grad():
        assert (guessed.encode_frames(images()) - model.encode_image(images())).abs().max() > 1e-3
    # a -quickgelu model name states it too
    named = CLIPVisionBackbone(arch=dict(tiny_arch, quick_gelu=True), pretrained=str(path))
    assert named.quick_gelu
    assert len(warnings_logged(mmlog)) == 1


@pytest.mark.filterwarnings('ignore::torch.jit.TracerWarning')
def test_openai_torchscript_archive(tiny_arch, tmp_path):
    model = openai_clip(tiny_arch)
    traced = torch.jit.trace_module(model, dict(
        encode_image=(images(1),), encode_text=(open_clip.tokenize(TEXTS),)),
        check_trace=False)
    path = tmp_path / 'ViT-tiny.pt'
    torch.jit.save(traced, str(path))
    check_towers_reproduce(model, tiny_arch, str(path))
    with pytest.raises(ValueError, match='TorchScript archive.*quick_gelu=False'):
        CLIPTextEncoder(arch=tiny_arch, pretrained=str(path), quick_gelu=False)


def test_open_clip_layouts(tiny_arch, tiny_clip, tmp_path):
    sd = tiny_clip.state_dict()
    wrapped = tmp_path / 'epoch_3.pt'  # open_clip training checkpoint (DDP)
    torch.save({'epoch': 3, 'state_dict': {'module.' + k: v for k, v in sd.items()}}, wrapped)
    check_towers_reproduce(tiny_clip, tiny_arch, str(wrapped), quick_gelu=False)
    custom = tmp_path / 'custom_text.pt'  # open_clip's custom-text layout (text.*)
    torch.save(open_clip.model.convert_to_custom_text_state_dict(dict(sd)), custom)
    check_towers_reproduce(tiny_clip, tiny_arch, str(custom))
    from safetensors.torch import save_file
    st = tmp_path / 'open_clip_model.safetensors'
    save_file({k: v.contiguous() for k, v in sd.items()}, str(st))
    check_towers_reproduce(tiny_clip, tiny_arch, str(st))


def test_file_is_read_once_for_both_towers(tiny_arch, tiny_clip_file, monkeypatch):
    reads = []
    read = weight_cache.read_clip_file
    monkeypatch.setattr(weight_cache, 'read_clip_file',
                        lambda path: reads.append(path) or read(path))
    clear_cache()
    from mmaction.registry import MODELS
    CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file)
    MODELS.build(dict(type='CLIPTextEncoder', arch=tiny_arch, pretrained=tiny_clip_file))
    assert len(reads) == 1
    # nothing is held once both towers took their part: a new build reads again
    CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file)
    assert len(reads) == 2
    # the text part left by that vision tower is taken by a text tower built next
    # (one model), but freed once a model is built (the Runner's init_weights): a
    # vision tower alone, e.g. with a TSNHead, does not hold it for the process
    MODELS.build(dict(type='CLIPTextEncoder', arch=tiny_arch, pretrained=tiny_clip_file))
    assert len(reads) == 2
    vision_only = CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file)
    vision_only.init_weights()
    MODELS.build(dict(type='CLIPTextEncoder', arch=tiny_arch, pretrained=tiny_clip_file))
    assert len(reads) == 4
    # running a model no longer touches the cache
    vision_only = CLIPVisionBackbone(arch=tiny_arch, pretrained=tiny_clip_file)
    with torch.no_grad():
        vision_only(images(1))
    MODELS.build(dict(type='CLIPTextEncoder', arch=tiny_arch, pretrained=tiny_clip_file))
    assert len(reads) == 5


def test_arch_inferred_from_file(tmp_path):
    arch = dict(embed_dim=32,
                vision_cfg=dict(image_size=32, patch_size=16, width=64, layers=2),
                text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=1, layers=2))
    model = make_clip(arch, seed=2)
    path = tmp_path / 'w.pt'
    torch.save(model.state_dict(), path)
    backbone = CLIPVisionBackbone(arch=None, pretrained=str(path), quick_gelu=False)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        assert_close64(backbone.double().encode_frames(x), model.double().encode_image(x))
    assert backbone.arch.vision_cfg['layers'] == 2


def test_clear_errors(tiny_arch, tiny_clip_file, tmp_path, monkeypatch):
    other = copy.deepcopy(tiny_arch)
    other['vision_cfg']['width'] = 128
    with pytest.raises(ValueError, match='do not fit arch.*vision width 64'):
        CLIPVisionBackbone(arch=other, pretrained=tiny_clip_file)
    with pytest.raises(FileNotFoundError, match='nowhere/ViT-B-16.pt'):
        CLIPVisionBackbone(arch='ViT-B-16', pretrained='nowhere/ViT-B-16.pt')
    with pytest.raises(ValueError, match='known tags'):
        CLIPVisionBackbone(arch='ViT-B-16', pretrained='no_such_tag')

    def offline(*args, **kwargs):
        raise OSError('[Errno 101] Network is unreachable')
    monkeypatch.setattr(open_clip, 'download_pretrained', offline)
    with pytest.raises(RuntimeError, match='local path'):
        CLIPVisionBackbone(arch='ViT-B-16', pretrained='openai')

    vtd = tmp_path / 'vtd_best.pth'  # a training checkpoint of the authors' code
    torch.save({'model': {'module.prompt_learner.ctx': torch.zeros(2, 4)}}, vtd)
    with pytest.raises(ValueError, match='convert_checkpoint'):
        CLIPVisionBackbone(arch=tiny_arch, pretrained=str(vtd))
    junk = tmp_path / 'junk.pt'
    torch.save({'fc.weight': torch.zeros(2, 2)}, junk)
    with pytest.raises(ValueError, match='does not look like CLIP'):
        CLIPTextEncoder(arch=tiny_arch, pretrained=str(junk))
    image_only = tmp_path / 'image_only.pt'
    torch.save({k: v for k, v in torch.load(tiny_clip_file).items()
                if k.startswith('visual.')}, image_only)
    with pytest.raises(ValueError, match='no text tower'):
        CLIPTextEncoder(arch=tiny_arch, pretrained=str(image_only))


def test_unsupported_architectures_are_named(tiny_arch):
    resnet = copy.deepcopy(tiny_arch)
    resnet['vision_cfg'] = dict(image_size=32, layers=[1, 1, 1, 1], width=16, head_width=16)
    with pytest.raises(NotImplementedError, match='ModifiedResNet'):
        CLIPVisionBackbone(arch=resnet)
    coca_like = copy.deepcopy(tiny_arch)
    coca_like['text_cfg']['embed_cls'] = True
    with pytest.raises(NotImplementedError, match='embed_cls=True'):
        CLIPTextEncoder(arch=coca_like)
    for tower, key, value in [('vision_cfg', 'attentional_pool', True),
                              ('vision_cfg', 'timm_model_name', 'vit_base_patch16_224'),
                              ('vision_cfg', 'qk_norm', True),
                              ('text_cfg', 'hf_model_name', 'roberta-base'),
                              ('text_cfg', 'pool_type', 'last'),
                              ('text_cfg', 'some_future_option', 1)]:
        arch = copy.deepcopy(tiny_arch)
        arch[tower][key] = value
        cls = CLIPVisionBackbone if tower == 'vision_cfg' else CLIPTextEncoder
        with pytest.raises(NotImplementedError, match=f'{key}={value!r}'):
            cls(arch=arch)
    # options of the standard tower, or read only by refused parts, build
    arch = copy.deepcopy(tiny_arch)
    arch['vision_cfg'].update(output_tokens=False, attn_pooler_heads=8, norm_kwargs=dict(eps=1e-6))
    arch['text_cfg'].update(pad_id=0, proj_type='linear')
    assert CLIPVisionBackbone(arch=arch).visual.ln_pre.eps == 1e-6
    CLIPTextEncoder(arch=arch)


def test_fp16_gelu_file_with_the_stated_activation(tiny_arch, tmp_path, mmlog):
    """fp16 alone does not prove an OpenAI release: an open_clip GELU model
    saved in fp16 loads with quick_gelu=False, exactly; with nothing stated it
    gets QuickGELU, as OpenAI's fp16 files need, and a warning naming the file."""
    model = make_clip(tiny_arch, quick_gelu=False, seed=6)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    path = tmp_path / 'open_clip_fp16.pt'
    torch.save({k: v.half() for k, v in model.state_dict().items()}, path)
    backbone, encoder = check_towers_reproduce(model, tiny_arch, str(path), quick_gelu=False)
    assert not backbone.quick_gelu and not encoder.quick_gelu and not warnings_logged(mmlog)
    guessed = CLIPVisionBackbone(arch=tiny_arch, pretrained=str(path))
    logged = warnings_logged(mmlog)
    assert guessed.quick_gelu and len(logged) == 1
    assert 'open_clip_fp16.pt: fp16 weights' in logged[0] and 'quick_gelu=False' in logged[0]
