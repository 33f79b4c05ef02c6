"""Feature export: frame and clip embeddings with their times, memory-mappable files."""
import json
import os
import sys

import numpy as np
import pytest

from vtd_mm.apis.features import video_features
from vtd_mm.utils import NpyRows

from ..numerics import dot_error
from ..paths import ROOT
from .conftest import DEMO_CFG, WORDS

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import extract_features  # noqa: E402


def test_npy_rows_round_trip_and_leave_nothing_on_error(tmp_path):
    path = str(tmp_path / 'a.npy')
    rng = np.random.default_rng(0)
    parts = [rng.normal(size=(n, 3)).astype(np.float32) for n in (4, 0, 7)]
    with NpyRows(path, np.float32, (3, )) as rows:
        spans = [rows.append(p) for p in parts]
    assert spans == [(0, 4), (4, 4), (4, 11)]
    mapped = np.load(path, mmap_mode='r')
    assert isinstance(mapped, np.memmap) and np.array_equal(mapped, np.concatenate(parts))
    with pytest.raises(ValueError, match='expected'):
        with NpyRows(str(tmp_path / 'b.npy'), np.float32, (3, )) as rows:
            rows.append(np.zeros((2, 4)))
    with pytest.raises(RuntimeError):
        with NpyRows(str(tmp_path / 'c.npy'), np.float32, (3, )) as rows:
            rows.append(parts[0])
            raise RuntimeError('interrupted')
    assert os.listdir(tmp_path) == ['a.npy']  # no partial file, no scratch rows


def test_features_of_a_long_video(long_clip, zero_shot_model):
    path, truth, total = long_clip
    out = video_features(zero_shot_model, path, sample_fps=4)
    n = len(range(0, total, 2))
    assert out['frame_embeddings'].shape == (n, 64) and out['frame_times'].shape == (n, )
    assert np.all(np.diff(out['frame_times']) > 0) and out['frame_indices'][1] == 2
    # 8 sampled frames per clip, one clip after the other (the last one may overlap)
    assert out['clip_times'][0, 0] == 0 and out['clip_times'][1, 0] == out['frame_times'][8]
    assert out['clip_times'][-1, 1] == pytest.approx(out['duration'])
    unit = out['frame_embeddings'] / np.linalg.norm(out['frame_embeddings'], axis=1,
                                                    keepdims=True)
    np.testing.assert_allclose(out['clip_embeddings'][0], unit[:8].mean(0), rtol=0, atol=1e-6)
    np.testing.assert_allclose(out['clip_scores'].sum(1), 1, atol=1e-5)
    # a frame's embedding does not depend on the windows around it (the CLIP
    # backbone encodes frames one by one): overlapping windows give the same,
    # up to the kernels another batch size may choose: a dot product of the
    # MLP's 4 x 96 inputs in fp32 per layer, 3 layers and the projection
    overlapped = video_features(zero_shot_model, path, sample_fps=4, stride=3)
    bound = 4 * dot_error(4 * 96) * float(np.abs(out['frame_embeddings']).max())
    np.testing.assert_allclose(overlapped['frame_embeddings'], out['frame_embeddings'],
                               rtol=0, atol=bound)


def test_extract_features_tool(long_clip, tmp_path):
    path, _, _ = long_clip
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    out_dir = tmp_path / 'features'
    args = [DEMO_CFG, path, str(bad), path, '--labels', ','.join(WORDS), '--sample-fps', '4',
            '--out-dir', str(out_dir)]
    summary = extract_features.main(args)
    assert [s['video'] for s in summary['skipped']] == [str(bad)]
    index = json.loads((out_dir / 'index.json').read_text())
    assert index == json.loads(json.dumps(summary)) and index['label_set'] == WORDS
    frames = np.load(out_dir / 'frame_embeddings.npy', mmap_mode='r')
    times = np.load(out_dir / 'frame_times.npy')
    (a0, a1), (b0, b1) = (v['frames'] for v in index['videos'])
    assert (a0, b1) == (0, len(frames)) and a1 == b0 and a1 - a0 == b1 - b0
    np.testing.assert_array_equal(frames[a0:a1], frames[b0:b1])  # the same video twice
    np.testing.assert_array_equal(times[a0:a1], times[b0:b1])
    for key, meta in index['arrays'].items():
        assert list(np.load(out_dir / f'{key}.npy', mmap_mode='r').shape) == meta['shape']
    with pytest.raises(SystemExit, match='exist'):
        extract_features.main(args)
    assert not [f for f in os.listdir(out_dir) if f.startswith('.')]  # no scratch files left
