"""The embedded demo world: determinism, the shipped tiny CLIP, a short demo run."""
import filecmp
import os
import sys

import numpy as np
import pytest
import torch

from vtd_mm.demo import TINY_CLIP_ARCH, WEIGHTS
from vtd_mm.demo.dataset import generate_world
from vtd_mm.demo.tiny_clip import (pretrain, save_openai_layout, weights_digest,
                                   zero_shot_accuracy)
from vtd_mm.demo.world import base_novel_split, class_names, insert_irrelevant, video_frames

from .numerics import assert_close64

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'demo'))
import run_demo  # noqa: E402


def test_world_classes_and_split():
    base, novel = base_novel_split()
    assert len(class_names()) == 24 and len(base) == 16 and len(novel) == 8
    words = lambda names, i: {n.split()[i] for n in names}  # noqa: E731
    # novel classes are unseen combinations of words all seen in base classes
    assert words(novel, 0) <= words(base, 0) and words(novel, 1) <= words(base, 1)
    assert not set(base) & set(novel)


def test_world_is_deterministic(tmp_path):
    small = dict(train=1, val=1, test=1)
    a = generate_world(str(tmp_path / 'a'), seed=3, per_class=small)
    b = generate_world(str(tmp_path / 'b'), seed=3, per_class=small)
    c = generate_world(str(tmp_path / 'c'), seed=4, per_class=small)
    assert a == b and a['lists']['test_novel'] == 8
    names = ['train_base.txt', 'test_novel_irrelevant.txt', 'classes_novel.txt', 'train_order.txt']
    for name in names:
        assert filecmp.cmp(tmp_path / 'a' / name, tmp_path / 'b' / name, shallow=False)
    video = 'videos/test/red_circle_0_irrelevant.mp4'
    assert filecmp.cmp(tmp_path / 'a' / video, tmp_path / 'b' / video, shallow=False)
    assert not filecmp.cmp(tmp_path / 'a' / video, tmp_path / 'c' / video, shallow=False)
    rng = np.random.default_rng(0)
    clip = video_frames('red circle', rng)
    mixed = insert_irrelevant(clip, 0.375, rng)
    assert sum(not np.array_equal(x, y) for x, y in zip(clip, mixed)) == 6


def test_pretraining_is_reproducible_and_loads_like_clip(tmp_path):
    import open_clip
    from vtd_mm.models import CLIPTextEncoder, CLIPVisionBackbone
    paths = []
    for run in range(2):
        model, tokenizer = pretrain(seed=5, steps=3, batch_size=16, log=lambda *_: None)
        paths.append(tmp_path / f'run{run}.pt')
        save_openai_layout(model, str(paths[-1]))
    assert weights_digest(str(paths[0])) == weights_digest(str(paths[1]))
    # the file goes through the real loaders (fp16 OpenAI layout -> QuickGELU)
    backbone = CLIPVisionBackbone(arch=TINY_CLIP_ARCH, pretrained=str(paths[0]))
    text = CLIPTextEncoder(arch=TINY_CLIP_ARCH, pretrained=str(paths[0]), template='a {}.')
    ref = open_clip.CLIP(**{k: v for k, v in TINY_CLIP_ARCH.items() if k != 'quick_gelu'},
                         quick_gelu=True).eval()
    ref.load_state_dict({k: v.float() for k, v in torch.load(paths[0]).items()})
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    backbone, text, ref = backbone.double(), text.double(), ref.double()
    with torch.no_grad():  # float64: see tests/numerics.py
        assert_close64(backbone(x), ref.encode_image(x))
        assert_close64(text(['red circle']), ref.encode_text(tokenizer(['a red circle.'])))


def test_shipped_weights():
    import open_clip
    assert os.path.getsize(WEIGHTS) <= 12 * 2 ** 20
    model = open_clip.CLIP(**{k: v for k, v in TINY_CLIP_ARCH.items() if k != 'quick_gelu'},
                           quick_gelu=True).eval()
    model.load_state_dict({k: v.float() for k, v in torch.load(WEIGHTS).items()})
    tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=16)
    assert zero_shot_accuracy(model, tokenizer, count=300) > 0.8  # clean frames, 24 classes


@pytest.fixture(scope='module')
def short_demo(tmp_path_factory):
    """A shortened demo: smaller world, 4 epochs, 1 seed (frozen and VTD-CLIP)."""
    root = tmp_path_factory.mktemp('short_demo')
    results = run_demo.main([
        '--data', str(root / 'world'), '--work-dir', str(root / 'work'),
        '--videos-per-class', '6', '2', '4', '--seeds', '0', '--epochs', '4',
        '--variants', 'frozen zero-shot (uniform average)', 'VTD-CLIP', '--no-full', '--no-order'])
    return root, results


def test_short_demo_end_to_end(short_demo):
    root, results = short_demo
    vtd = results[('b2n', 'VTD-CLIP', 'clean')][0]
    frozen = results[('b2n', 'frozen zero-shot (uniform average)', 'clean')][0]
    assert vtd[0] > 1 / 16 + 0.1, vtd  # base accuracy well above chance
    assert vtd[0] > frozen[0], (vtd, frozen)  # and above the frozen zero-shot model
    assert os.path.exists(root / 'work' / 'demo_results.md')
    for name in ('frames_clean.png', 'frames_irrelevant.png'):
        assert os.path.getsize(root / 'work' / name) > 1000


def test_protocol_tool_tests_a_base_trained_checkpoint_on_novel_classes(short_demo, tmp_path,
                                                                         monkeypatch):
    """tools/test_protocol.py on the base-trained VTD-CLIP: the label set of each
    test set comes from its label file, one codebook per label set, and the
    novel accuracy equals a model built with the novel names in its config."""
    import json
    import math

    from mmengine.config import Config

    from vtd_mm.demo.runs import evaluate
    from vtd_mm.evaluation import harmonic_mean
    from vtd_mm.models import CLIPTextEncoder
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import test_protocol

    root, results = short_demo
    world = str(root / 'world')
    monkeypatch.setenv('VTD_DEMO_DATA', world)
    checkpoint = str(root / 'work' / 'vtd_clip_b2n_seed0' / 'epoch_4.pth')
    builds, batches = [], []
    encode = CLIPTextEncoder._encode

    def counting_encode(self, *args, **kwargs):
        builds.append(kwargs.get('prompted'))
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(CLIPTextEncoder, '_encode', counting_encode)
    from mmengine.runner import TestLoop
    run_iter = TestLoop.run_iter
    monkeypatch.setattr(TestLoop, 'run_iter',
                        lambda self, idx, data: batches.append(idx) or run_iter(self, idx, data))
    out = tmp_path / 'protocol.json'
    summary = test_protocol.main(['configs/demo/vtd_demo_b2n.py', checkpoint,
                                  '--work-dir', str(tmp_path / 'wd'), '--out', str(out)])
    assert json.loads(out.read_text())['base_novel'] == summary['base_novel']
    groups = summary['groups']
    assert list(groups) == ['base', 'novel', 'base_irrelevant', 'novel_irrelevant']
    base, novel = groups['base']['mean'], groups['novel']['mean']
    assert math.isclose(summary['base_novel']['all']['hm'], harmonic_mean(base, novel))
    # 4 test sets, 2 label sets (base, novel): 2 codebooks for 12 batches
    assert builds == [True, True] and len(batches) == 12
    # the demo's own evaluation (one Runner per set) gave the same numbers
    demo = results[('b2n', 'VTD-CLIP', 'clean')][0]
    assert math.isclose(base, 100 * demo[0]) and math.isclose(novel, 100 * demo[1])
    # independent path: the novel names written into the model config, no hook
    cfg = Config.fromfile('configs/demo/vtd_demo_b2n.py')
    cfg.model.cls_head.update(num_classes=8, class_names=f'{world}/classes_novel.txt')
    cfg.test_dataloader.dataset.ann_file = f'{world}/test_novel.txt'
    cfg.test_dataloader.dataset.pop('metainfo')
    cfg.custom_hooks = []
    direct = evaluate(cfg, str(tmp_path / 'direct'), checkpoint)['acc/top1']
    assert math.isclose(novel, 100 * direct, abs_tol=1e-9)
    assert novel > 100 / 8  # the base-trained model recognises unseen classes


def test_label_set_that_does_not_cover_the_list_is_an_error(short_demo, tmp_path, monkeypatch):
    from mmengine.config import Config

    from vtd_mm.demo.runs import evaluate
    root, _ = short_demo
    monkeypatch.setenv('VTD_DEMO_DATA', str(root / 'world'))
    cfg = Config.fromfile('configs/demo/vtd_demo_b2n.py')
    cfg.test_dataloader.dataset.ann_file = str(root / 'world' / 'test_all.txt')  # labels 0..23
    cfg.test_dataloader.dataset.metainfo = dict(classes=str(root / 'world' / 'classes_novel.txt'))
    with pytest.raises(ValueError, match='has label 23, but its label set has 8 names'):
        evaluate(cfg, str(tmp_path), None)
