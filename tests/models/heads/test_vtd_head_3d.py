"""VTDHead after MMAction2 3D backbones: the backbone's time steps are the frames."""
import os
import pickle
import subprocess
import sys

import pytest
import torch
from mmaction.registry import MODELS

from ...numerics import assert_close64
from ...paths import ROOT  # noqa: E402
from ...videos import make_dataset
from .test_vtd_head import NAMES, build_head

CFG_3D = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny_3d.py')


def test_time_steps_are_frames(tiny_arch):
    """[V, C, T', H, W] -> T' frame tokens per view, as the same features fed
    frame by frame into the 2D path."""
    head = build_head(tiny_arch, num_frames=5).eval().double()
    feats = torch.randn(3, 32, 5, 2, 2, dtype=torch.float64)     # 3 views, T' = 5
    with torch.no_grad():
        out = head.forward_details(feats)
        as_frames = feats.mean((3, 4)).transpose(1, 2).reshape(15, 32)
        ref = head.forward_details(as_frames, num_segs=5)
    assert out['weights'].shape == (3, 5, len(NAMES)) and out['frame_tokens'].shape == (3, 5)
    assert_close64(out['logits'], ref['logits'])   # another memory layout: rounding only
    assert torch.equal(out['frame_tokens'], ref['frame_tokens'])
    with pytest.raises(ValueError, match='gives 5 time steps per clip, but num_frames=8'):
        build_head(tiny_arch, num_frames=8).forward_details(feats.float())
    with pytest.raises(ValueError, match=r'\(3, 64, 5, 2, 2\) \(64 channels\), but in_channels=32'):
        head.forward_details(torch.randn(3, 64, 5, 2, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match='in_channels=32'):
        head(torch.randn(8, 48, dtype=torch.float64), num_segs=4)


def test_slowonly_with_vtd_head_trains_and_tests(tmp_path):
    """One epoch of a Recognizer3D (SlowOnly-R18) + VTDHead through tools/train.py
    and a multi-view test through tools/test.py on generated mp4s."""
    make_dataset(str(tmp_path / 'data'), per_class=1)
    env = dict(os.environ, VTD_TINY_DATA=str(tmp_path / 'data'), PYTHONPATH=ROOT,
               OMP_NUM_THREADS='1')
    work = tmp_path / 'work'

    def run(args):
        out = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
        return out.stdout + out.stderr
    log = run(['tools/train.py', CFG_3D, '--work-dir', str(work),
               '--cfg-options', 'train_cfg.max_epochs=1'])
    assert 'Epoch(train) [1]' in log and 'loss_cls' in log
    dump = tmp_path / 'preds.pkl'
    run(['tools/test.py', CFG_3D, str(work / 'epoch_1.pth'), '--work-dir', str(tmp_path / 't'),
         '--dump', str(dump)])
    with open(dump, 'rb') as f:
        p = pickle.load(f)[0]
    # 2 clips x 3 crops, each with the backbone's 4 time steps as frames
    assert p['frame_tokens'].shape == (6, 4) and p['frame_weights'].shape == (6, 4)
    assert not torch.allclose(p['frame_weights'], torch.ones(6, 4))   # time is kept


def test_x3d_features(tiny_arch):
    backbone = MODELS.build(dict(type='X3D', gamma_w=1, gamma_b=2.25, gamma_d=1))
    head = build_head(tiny_arch, in_channels=432, num_frames=8)
    with torch.no_grad():
        out = head.forward_details(backbone(torch.randn(2, 3, 8, 32, 32)))
    assert out['logits'].shape == (2, len(NAMES)) and out['frame_tokens'].shape == (2, 8)
