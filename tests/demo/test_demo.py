"""The embedded demo world: determinism, the shipped tiny CLIP, a short demo run."""
import filecmp
import os
import re
import sys

import numpy as np
import pytest
import torch

from vtd_mm.demo import TINY_CLIP_ARCH, WEIGHTS
from vtd_mm.demo.dataset import generate_world
from vtd_mm.demo.tiny_clip import pretrain, save_openai_layout, weights_digest, zero_shot_accuracy
from vtd_mm.demo.world import (
    base_novel_split,
    class_names,
    insert_irrelevant,
    video_frames,
    video_scene,
)

from ..numerics import assert_close64
from ..paths import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tools', 'demo'))
import run_demo  # noqa: E402
import run_distill_demo  # noqa: E402


def test_world_classes_and_split():
    base, novel = base_novel_split()
    assert len(class_names()) == 24 and len(base) == 16 and len(novel) == 8
    words = lambda names, i: {n.split()[i] for n in names}  # noqa: E731
    # novel classes are unseen combinations of words all seen in base classes
    assert words(novel, 0) <= words(base, 0) and words(novel, 1) <= words(base, 1)
    assert not set(base) & set(novel)


def test_world_is_deterministic(tmp_path):
    from vtd_mm.demo.dataset import CONDITIONS
    small = dict(train=1, val=1, test=1)
    a = generate_world(str(tmp_path / 'a'), seed=3, per_class=small)
    b = generate_world(str(tmp_path / 'b'), seed=3, per_class=small)
    generate_world(str(tmp_path / 'c'), seed=4, per_class=small)
    assert a == b and a['lists']['test_novel'] == 8
    for suffix, _, _ in CONDITIONS.values():
        assert a['lists'][f'test_base{suffix}'] == 16 and a['lists'][f'test_all{suffix}'] == 24
    names = ['train_base.txt', 'test_novel_other50.txt', 'classes_novel.txt', 'train_order.txt']
    for name in names:
        assert filecmp.cmp(tmp_path / 'a' / name, tmp_path / 'b' / name, shallow=False)
    video = 'videos/test/red_circle_0_uninformative25.mp4'
    assert filecmp.cmp(tmp_path / 'a' / video, tmp_path / 'b' / video, shallow=False)
    assert not filecmp.cmp(tmp_path / 'a' / video, tmp_path / 'c' / video, shallow=False)


@pytest.mark.parametrize('rate', [0.25, 0.5])
def test_irrelevant_frames_by_kind_and_share(rate):
    """Whole runs of 2 frames are replaced, so an 8-frame test sampling (one
    frame per run) sees exactly ``rate`` irrelevant frames; 'other' takes the
    other clip's frames at the same places, 'uninformative' a blank frame,
    noise or the clip's own scene without its object."""
    rng = np.random.default_rng(0)
    clip, empty = video_scene('red circle', rng)
    other = video_frames('blue star', rng)
    for _ in range(5):
        mixed = insert_irrelevant(clip, rate, rng, 'other', other=other)
        changed = [t for t in range(16) if not np.array_equal(mixed[t], clip[t])]
        assert len(changed) == 16 * rate and all(t ^ 1 in changed for t in changed)
        assert all(np.array_equal(mixed[t], other[t]) for t in changed)
        mixed = insert_irrelevant(clip, rate, rng, 'uninformative', empty=empty)
        changed = [t for t in range(16) if not np.array_equal(mixed[t], clip[t])]
        assert len(changed) == 16 * rate
        for t in changed:
            blank = (mixed[t] == mixed[t].flat[0]).all()
            held = np.array_equal(mixed[t], mixed[t ^ 1])  # blank and noise hold for the run
            assert blank or held or np.array_equal(mixed[t], empty[t])
    with pytest.raises(ValueError, match='unknown kind'):
        insert_irrelevant(clip, 0.25, rng, 'title card', empty=empty)


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
        assert_close64(backbone.encode_frames(x), ref.encode_image(x))
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
    """A shortened demo: smaller world, 4 epochs, 1 seed; every base-to-novel
    variant on every test condition, one fully supervised run, the pictures."""
    import contextlib
    import io
    root = tmp_path_factory.mktemp('short_demo')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = run_demo.main([
            '--data', str(root / 'world'), '--work-dir', str(root / 'work'),
            '--videos-per-class', '6', '2', '4', '--seeds', '0', '--epochs', '4',
            '--full-variants', 'VTD-CLIP + hub correction (opt-in)', '--no-order'])
    return root, results, out.getvalue()


def test_short_demo_end_to_end(short_demo):
    from vtd_mm.demo.dataset import CONDITIONS
    root, results, _ = short_demo
    import glob
    import json
    vtd = results[('b2n', 'VTD-CLIP', 'clean')][0]
    assert vtd[0] > 1 / 16 + 0.1, vtd  # base accuracy well above chance
    # it learned: the training loss fell (the frozen CLIP already reads ~70%
    # of this small world's base videos; 4 epochs need not beat that)
    (scalars, ) = glob.glob(str(root / 'work' / 'vtd_clip_b2n_seed0' / '*' / 'vis_data' /
                                'scalars.json'))
    losses = [json.loads(line)['loss'] for line in open(scalars) if '"loss"' in line]
    assert len(losses) >= 4 and losses[-1] < 0.75 * losses[0], losses
    for variant in (run_demo.FROZEN, *run_demo.B2N_VARIANTS):
        for cond in CONDITIONS:
            (row, ) = results[('b2n', variant, cond)]
            assert len(row) == 3 and all(0 <= x <= 1 for x in row)
    for cond in CONDITIONS:
        assert len(results[('full', 'VTD-CLIP + hub correction (opt-in)', cond)]) == 1
    table = (root / 'work' / 'demo_results.md').read_text()
    assert all(f'| {cond} | VTD-CLIP + hub correction (opt-in) |' in table for cond in CONDITIONS)
    for name in ('vtd_clip_clean', 'vtd_clip_uninformative50', 'vtd_clip_other50',
                 'vtd_clip_hub_correction_opt_in_uninformative50'):
        assert os.path.getsize(root / 'work' / f'{name}.png') > 1000


def test_short_demo_prints_one_line_per_run(short_demo):
    """The Runner's environment dump, config, hook tables and progress go to
    each run's console.log (and its own log file); the terminal gets one line
    per run, the table and the paths of the pictures."""
    root, _, printed = short_demo
    runs = [line for line in printed.splitlines() if line.startswith('[')]
    assert len(runs) == 1 + 4 + 1  # frozen, 4 trained base-to-novel variants, 1 fully supervised
    assert 'mmengine' not in printed and 'Epoch(train)' not in printed
    assert 'np.float64' not in printed
    assert all(' | seed 0 | ' in line or 'no training' in line for line in runs)
    assert printed.count('picture: ') == 4 and '| test frames | method |' in printed
    console = (root / 'work' / 'vtd_clip_b2n_seed0' / 'console.log').read_text()
    assert 'Epoch(train)' in console and 'Epoch(test)' in console


def test_frame_similarity_tool(short_demo, capsys):
    """The tool behind the demo docs' table of similarities, on the short
    demo's base-to-novel VTD-CLIP: every kind of frame, numbers that are
    cosines, and per frame max_k (s_tk - mean_j s_tj) = max_k s_tk - mean_j s_tj,
    so the column means agree to the printed 3 decimals (3 roundings)."""
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'demo'))
    import frame_similarity
    root, _, _ = short_demo
    frame_similarity.main(['configs/demo/vtd_demo_b2n.py',
                           str(root / 'work' / 'vtd_clip_b2n_seed0' / 'epoch_4.pth'),
                           '--videos-per-class', '1'])
    rows = {}
    *table, accuracy = capsys.readouterr().out.splitlines()
    for line in table[1:]:
        kind, rest = line[:22].strip(), line[22:].split()
        rows[kind] = [float(x) for x in rest[1:4]]
    right, total = map(int, re.match(r'real frames read as their own class: (\d+) of (\d+)',
                                     accuracy).groups())
    assert total == 16 * 8 and 0 <= right <= total  # 16 base classes, 1 video, 8 frames
    assert list(rows) == ['real frame', 'scene without object', 'blank', 'noise']
    for max_cos, mean_cos, centred in rows.values():
        assert -1 <= mean_cos <= max_cos <= 1
        assert abs(centred - (max_cos - mean_cos)) <= 0.0015


def test_short_distill_demo(tmp_path, short_demo):
    """The distillation demo, shortened: teacher, a student alone, KD, DIST,
    CKD, and CKD to a student that sees 4 of the teacher's 8 frames."""
    from mmengine.config import Config
    root, _, _ = short_demo
    results, teacher = run_distill_demo.main([
        '--data', str(root / 'world'), '--work-dir', str(tmp_path), '--seeds', '0',
        '--epochs', '1', '--teacher-epochs', '2', '--videos-per-class', '6', '2', '4'])
    assert set(results) == set(run_distill_demo.METHODS) and 0 < teacher <= 1
    assert all(len(v) == 1 and 0 <= v[0] <= 1 for v in results.values())
    saved = Config.fromfile(str(tmp_path / 'ckd_tau_1_weight_10_student_4_frames_seed0' /
                                'vtd_demo_full.py'))
    assert saved.model.student_input == dict(clip_len=8, num_frames=4)
    alone = Config.fromfile(str(tmp_path / 'student_alone_4_frames_seed0' / 'vtd_demo_full.py'))
    assert [s['clip_len'] for s in alone.test_dataloader.dataset.pipeline
            if s['type'] == 'UniformSample'] == [4]
    assert '| CKD (tau 1, weight 10) | 4 |' in (tmp_path / 'distill_results.md').read_text()


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
    from vtd_mm.models.clip.towers import TextTower
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import test_protocol

    root, results, _ = short_demo
    world = str(root / 'world')
    monkeypatch.setenv('VTD_DEMO_DATA', world)
    checkpoint = str(root / 'work' / 'vtd_clip_b2n_seed0' / 'epoch_4.pth')
    builds, batches = [], []
    project = TextTower.project  # the last step of every codebook build

    def counting_project(self, x):
        builds.append(len(x))
        return project(self, x)

    monkeypatch.setattr(TextTower, 'project', counting_project)
    from mmengine.runner import TestLoop
    run_iter = TestLoop.run_iter
    monkeypatch.setattr(TestLoop, 'run_iter',
                        lambda self, idx, data: batches.append(idx) or run_iter(self, idx, data))
    out = tmp_path / 'protocol.json'
    summary = test_protocol.main(['configs/demo/vtd_demo_b2n.py', checkpoint,
                                  '--work-dir', str(tmp_path / 'wd'), '--out', str(out)])
    assert json.loads(out.read_text())['base_novel'] == summary['base_novel']
    groups = summary['groups']
    assert list(groups) == [f'{subset}{suffix}' for suffix in cfg_conditions()
                            for subset in ('base', 'novel')]
    base, novel = groups['base']['mean'], groups['novel']['mean']
    assert math.isclose(summary['base_novel']['all']['hm'], harmonic_mean(base, novel))
    # 10 test sets, 2 label sets (base, novel): 2 codebooks for 5 x (4 + 2) batches
    assert builds == [16, 8] and len(batches) == 30  # the base and the novel names
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
    root, _, _ = short_demo
    monkeypatch.setenv('VTD_DEMO_DATA', str(root / 'world'))
    cfg = Config.fromfile('configs/demo/vtd_demo_b2n.py')
    cfg.test_dataloader.dataset.ann_file = str(root / 'world' / 'test_all.txt')  # labels 0..23
    cfg.test_dataloader.dataset.metainfo = dict(classes=str(root / 'world' / 'classes_novel.txt'))
    with pytest.raises(ValueError, match='has label 23, but its label set has 8 names'):
        evaluate(cfg, str(tmp_path), None)


def cfg_conditions():
    from mmengine.config import Config
    return Config.fromfile('configs/demo/vtd_demo_b2n.py').conditions


def test_demo_configs_test_every_condition_of_the_world(monkeypatch):
    from vtd_mm.demo.dataset import CONDITIONS
    monkeypatch.chdir(ROOT)
    assert list(cfg_conditions()) == [suffix for suffix, _, _ in CONDITIONS.values()]
