"""ONNX export: ONNX Runtime gives PyTorch's outputs; the runner needs no torch."""
import copy
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from vtd_mm.apis import init_recognizer
from vtd_mm.apis.onnx_export import FoldedRecognizer, export_onnx
from vtd_mm.apis.vtd_inferencer import label_set

from ..numerics import EPS32
from ..paths import ROOT
from .conftest import DEMO_CFG, WORDS

ort = pytest.importorskip('onnxruntime')


def test_onnx_runtime_equals_pytorch(tmp_path):
    """The demo model with random prompts and fusion (seeded), exported with a
    label set of 5 words. fp32 ONNX Runtime against fp32 PyTorch and both
    against PyTorch in float64: ONNX Runtime computes the same fp32 graph in
    another order, so its error from float64 must be of the order of
    PyTorch's own fp32 error (16x allows another summation order in every
    reduction; the floor is 64 eps32 of the output's scale). Frame tokens
    must agree wherever float64 separates the nearest two names by more."""
    model = init_recognizer(DEMO_CFG)
    path = str(tmp_path / 'model.onnx')
    meta = export_onnx(model, path, WORDS)
    assert json.loads(meta['vtd_class_names']) == WORDS and meta['vtd_num_frames'] == '8'
    assert model.cls_head.class_names != WORDS  # the model's own label set is back
    g = torch.Generator().manual_seed(0)
    frames = torch.rand(8, 3, 32, 32, generator=g, dtype=torch.float64) * 255
    with label_set(model, WORDS), torch.no_grad():
        ours = FoldedRecognizer(model).eval()(frames.float())
        model64 = copy.deepcopy(model).double()
        ref = FoldedRecognizer(model64).eval()(frames)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    theirs = session.run(None, {'frames': frames.float().numpy()})
    for name, o, t, r in zip(('scores', 'frame_weights'), (theirs[0], theirs[2]),
                             (ours[0], ours[2]), (ref[0], ref[2])):
        r = r.numpy()
        torch_err = float(np.abs(t.double().numpy() - r).max())
        bound = 16 * max(torch_err, 64 * EPS32 * float(np.abs(r).max()))
        assert float(np.abs(o - r).max()) <= bound, (name, np.abs(o - r).max(), bound)
    assert np.array_equal(theirs[1], ours[1].numpy())  # the tokens
    assert np.array_equal(theirs[1], ref[1].numpy())


def test_runner_scores_videos_without_torch(tmp_path):
    from vtd_mm.demo.dataset import write_mp4
    from vtd_mm.demo.world import video_frames
    model = init_recognizer(DEMO_CFG)
    path = str(tmp_path / 'model.onnx')
    export_onnx(model, path, WORDS)
    video = str(tmp_path / 'red.mp4')
    write_mp4(video, list(video_frames('red circle', np.random.default_rng(0), 24)), fps=8)
    runner = os.path.join(ROOT, 'tools', 'deploy', 'onnx_infer.py')
    check = (f'import runpy, sys; runpy.run_path({runner!r})["main"](sys.argv[1:]); '
             'print("TORCH" if "torch" in sys.modules else "NO_TORCH")')
    out = subprocess.run([sys.executable, '-c', check, path, video, '--top-k', '2'],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith('NO_TORCH')
    assert 'frames: ' in out.stdout and '1. ' in out.stdout


def within_fp32_of(theirs, ours, ref, what):
    """ONNX Runtime's fp32 result ``theirs`` is as far from the float64
    ``ref`` as PyTorch's fp32 ``ours`` is, up to 16x (another summation order
    in every reduction; floor 64 eps32 of the scale), as above."""
    ref = ref.double().numpy()
    torch_err = float(np.abs(ours.double().numpy() - ref).max())
    bound = 16 * max(torch_err, 64 * EPS32 * float(np.abs(ref).max()))
    assert float(np.abs(theirs - ref).max()) <= bound, (what, np.abs(theirs - ref).max(), bound)


def test_tokenizer_without_torch_gives_open_clips_ids():
    """Every class name the package ships and some awkward text: the same ids."""
    from open_clip.tokenizer import SimpleTokenizer, default_bpe
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'deploy'))
    from clip_bpe import ClipBPE
    with open(default_bpe(), 'rb') as f:
        ours = ClipBPE(f.read())
    theirs = SimpleTokenizer()
    texts = ["playing_the piano  &amp; café 3D", 'naïve résumé — ÆØÅ 日本語 😀',
             "it's we'll you'd I'M", '  tabs\tand\nnew lines ', 'x<end_of_text>y', '']
    labels = os.path.join(ROOT, 'vtd_mm', 'datasets', 'labels')
    for name in sorted(os.listdir(labels)):
        with open(os.path.join(labels, name), encoding='utf-8') as f:
            texts += [line.strip() for line in f]
    assert len(texts) > 1000
    assert [ours.encode(t) for t in texts] == [theirs.encode(t) for t in texts]
    assert (ours.start_id, ours.end_id) == (theirs.sot_token_id, theirs.eot_token_id)


def test_text_tower_and_codebook_input_equal_pytorch(tmp_path):
    """The exported text tower encodes new words as the prompted encoder
    does (its whole 77-token sequence vs. PyTorch's shared prefix, both
    against float64), and the recognizer that takes that codebook scores as
    PyTorch does with those words as its label set."""
    from vtd_mm.apis.onnx_export import export_text_onnx
    model = init_recognizer(DEMO_CFG)
    encoder = model.cls_head.text_encoder
    model_path, text_path = str(tmp_path / 'model.onnx'), str(tmp_path / 'text.onnx')
    meta = export_onnx(model, model_path, WORDS, codebook_input=True)
    assert meta['vtd_codebook_input'] == '1'
    text_meta = export_text_onnx(model, text_path)
    assert text_meta['vtd_text_n_ctx'] == str(encoder.n_ctx) and encoder.mode == 'shared_prefix'
    words = ['purple hexagon', 'orange moon', 'grey cloud']              # not the export's
    text = ort.InferenceSession(text_path, providers=['CPUExecutionProvider'])
    codebook = text.run(None, {'ids': encoder.tokenize(words)[0].numpy()})[0]
    model.eval()
    with torch.no_grad():
        ours = encoder(words)
        ref = copy.deepcopy(encoder).double()(words)
    within_fp32_of(codebook, ours, ref, 'codebook')
    g = torch.Generator().manual_seed(1)
    frames = torch.rand(8, 3, 32, 32, generator=g, dtype=torch.float64) * 255
    with label_set(model, words), torch.no_grad():
        mine = FoldedRecognizer(model).eval()(frames.float())
        ref = FoldedRecognizer(copy.deepcopy(model).double()).eval()(frames)
    session = ort.InferenceSession(model_path, providers=['CPUExecutionProvider'])
    theirs = session.run(None, {'frames': frames.float().numpy(), 'codebook': codebook})
    assert theirs[0].shape == (1, 3) and theirs[2].shape == (1, 8, 3)
    within_fp32_of(theirs[0], mine[0], ref[0], 'scores')
    within_fp32_of(theirs[2], mine[2], ref[2], 'frame_weights')


def test_runner_encodes_new_words_without_torch(tmp_path):
    from vtd_mm.demo.dataset import write_mp4
    from vtd_mm.demo.world import video_frames
    runner = os.path.join(ROOT, 'tools', 'deploy', 'onnx_infer.py')
    export = os.path.join(ROOT, 'tools', 'deploy', 'export_onnx.py')
    model_path, text_path = str(tmp_path / 'model.onnx'), str(tmp_path / 'text.onnx')
    folded = str(tmp_path / 'folded.onnx')
    env = dict(os.environ, PYTHONPATH=ROOT)
    for cmd in ([export, DEMO_CFG, '--out', model_path, '--labels', ','.join(WORDS),
                 '--text-tower', text_path],
                [export, DEMO_CFG, '--out', folded, '--labels', ','.join(WORDS)]):
        made = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=300)
        assert made.returncode == 0, made.stderr[-2000:]
        assert ('takes a codebook input' in made.stdout) == (text_path in cmd)
    video = str(tmp_path / 'red.mp4')
    write_mp4(video, list(video_frames('red circle', np.random.default_rng(0), 24)), fps=8)
    check = (f'import runpy, sys; runpy.run_path({runner!r})["main"](sys.argv[1:]); '
             'print("TORCH" if "torch" in sys.modules else "NO_TORCH")')

    def run(*args):
        return subprocess.run([sys.executable, '-c', check, *args], capture_output=True,
                              text=True, timeout=120)
    out = run(model_path, video, '--text', text_path, '--labels', 'red circle,green star,'
              'purple hexagon', '--top-k', '3')
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith('NO_TORCH') and 'purple hexagon' in out.stdout
    default = run(model_path, video, '--text', text_path, '--top-k', '5')
    assert default.returncode == 0 and all(w in default.stdout for w in WORDS)
    assert 'takes a codebook input: give --text' in run(model_path, video).stderr
    assert 'has its label set folded in' in run(folded, video, '--text', text_path).stderr
    clash = run(model_path, video, '--text', text_path, '--labels', 'red_circle,red circle')
    assert clash.returncode != 0 and 'identical prompts' in clash.stderr
    from vtd_mm.apis.onnx_export import export_text_onnx
    other = init_recognizer(DEMO_CFG)
    with torch.no_grad():
        other.cls_head.text_encoder.prompt_learner.ctx.add_(0.01)   # other prompts, same shape
    other_text = str(tmp_path / 'other_text.onnx')
    export_text_onnx(other, other_text)
    mixed = run(model_path, video, '--text', other_text)
    assert mixed.returncode != 0 and 'the text tower of another model' in mixed.stderr


def test_int8_export_quantises_the_matmuls_and_keeps_the_metadata(tmp_path):
    """Not an exactness check (int8 weights move the scores by up to ~0.2 on
    the demo world, docs/deploy.md): the graph holds integer matmuls, is
    smaller, keeps what the runner reads, and gives probabilities."""
    import onnx
    model = init_recognizer(DEMO_CFG)
    fp32, int8 = str(tmp_path / 'fp32.onnx'), str(tmp_path / 'int8.onnx')
    export_onnx(model, fp32, WORDS)
    meta = export_onnx(model, int8, WORDS, int8=True)
    graph = onnx.load(int8)
    ops = {node.op_type for node in graph.graph.node}
    assert {'DynamicQuantizeLinear', 'MatMulInteger'} <= ops
    assert os.path.getsize(int8) < 0.6 * os.path.getsize(fp32)
    assert {p.key: p.value for p in graph.metadata_props}['vtd_class_names'] == \
        meta['vtd_class_names']
    assert sorted(os.listdir(tmp_path)) == ['fp32.onnx', 'int8.onnx']  # nothing left behind
    frames = np.random.default_rng(0).uniform(0, 255, (8, 3, 32, 32)).astype(np.float32)
    scores = ort.InferenceSession(int8, providers=['CPUExecutionProvider']).run(
        None, {'frames': frames})[0]
    assert scores.shape == (1, len(WORDS)) and abs(float(scores.sum()) - 1) < 1e-5
