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
