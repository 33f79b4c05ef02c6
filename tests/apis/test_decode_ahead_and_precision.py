"""Videos decoded by loader workers ahead of the model, and the inference precision."""
import logging
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from torch.utils.data import DataLoader

from vtd_mm.apis import (
    choose_precision,
    frozen_clip_options,
    init_recognizer,
    label_set,
    recognize,
    resolve_precision,
)
from vtd_mm.apis import precision as precision_module
from vtd_mm.apis.timeline import forward_data, frame_readings, window_pipeline
from vtd_mm.datasets.checked_video_dataset import BrokenVideoError, DecodingFailed
from vtd_mm.datasets.video_windows import VideoWindows, WindowBatches, collate_windows

from .conftest import DEMO_CFG, WORDS
from .test_entry_points import checkpoints, videos  # noqa: F401  (fixtures)


def test_workers_give_the_windows_in_order_and_the_same_readings(long_clip, zero_shot_model):
    """Two workers decoding alternate batches: the same windows, in the video's
    order, and the same readings as decoding between forward passes."""
    path, _, _ = long_clip
    with label_set(zero_shot_model, WORDS):
        inline = frame_readings(zero_shot_model, path, WORDS, sample_fps=4, stride=3,
                                batch_size=3)
        ahead = frame_readings(zero_shot_model, path, WORDS, sample_fps=4, stride=3,
                               batch_size=3, workers=2)
    for a, b in zip(inline[1:], ahead[1:]):
        np.testing.assert_array_equal(a, b)  # same batches, same arithmetic
    windows = VideoWindows(path, 8, 4, 3)
    loader = DataLoader(WindowBatches(path, 8, 4, 3, 3, window_pipeline(zero_shot_model.cfg)),
                        batch_size=None, num_workers=2, collate_fn=lambda item: item)
    got = [w for batch, _ in loader for w in batch]
    assert [w.positions[0] for w in got] == windows.starts()
    assert all(w.frames is None for w in got)


def test_a_worker_hands_over_the_broken_video_by_name(tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'<html>not a video</html>')
    loader = DataLoader(WindowBatches(str(bad), 8, 2, None, 4, lambda r: r), batch_size=None,
                        num_workers=1, collate_fn=lambda item: item)
    ((windows, err), ) = list(loader)
    assert windows is None and isinstance(err, BrokenVideoError)
    assert err.filename == str(bad) and 'bad.mp4' in str(err)
    failed = pickle.loads(pickle.dumps(DecodingFailed('DecordInit', ValueError('x'), 'a.mp4')))
    assert isinstance(failed, DecodingFailed) and failed.transform == 'DecordInit'


def test_inferencer_workers_and_batches(videos, tmp_path):  # noqa: F811
    """Videos decoded by two workers, one or two per forward pass: the same
    predictions; an undecodable video among them is named, the others scored."""
    _, paths = videos
    empty = tmp_path / 'empty.mp4'
    empty.write_bytes(b'')
    model = init_recognizer(DEMO_CFG, cfg_options=frozen_clip_options(Config.fromfile(DEMO_CFG)))
    inputs = [paths[0], str(empty), paths[1]]
    here = recognize(model, inputs, labels=WORDS, skip_broken=True)
    ahead = recognize(model, inputs, labels=WORDS, skip_broken=True, workers=2)
    paired = recognize(model, inputs, labels=WORDS, skip_broken=True, workers=2, batch_size=2)
    assert here == ahead  # same batches, same arithmetic
    assert [r['video'] for r in paired] == inputs and 'error' in paired[1]
    for a, b in zip(here[::2], paired[::2]):
        # another batch shape rounds otherwise; the leads (~1.0 here) are far above
        # any fp32 rounding, so the best class cannot change
        assert a['top_k'][0]['score'] - a['top_k'][1]['score'] > 0.5
        assert a['top_k'][0]['name'] == b['top_k'][0]['name']
    with pytest.raises(BrokenVideoError, match='empty.mp4'):
        recognize(model, inputs, labels=WORDS, workers=1)


def test_precision_choice(monkeypatch, zero_shot_model, mmlog):
    """auto: bf16 on a CPU with bf16 units for a model of 20M weights or more;
    fp32 for a small one or without the units; fp16 needs a GPU."""
    big = torch.nn.Linear(5000, 4000)                                   # 20.0M weights
    for units, small, large in ((True, 'fp32', 'bf16'), (False, 'fp32', 'fp32'),
                                (None, 'fp32', 'fp32')):
        monkeypatch.setattr(precision_module, 'cpu_has_bf16_units', lambda u=units: u)
        assert resolve_precision(zero_shot_model)[0] == small
        assert resolve_precision(big)[0] == large
    monkeypatch.setattr(precision_module, 'cpu_has_bf16_units', lambda: True)
    assert 'too small to gain from bf16' in resolve_precision(zero_shot_model)[1]
    assert choose_precision(zero_shot_model, 'fp32') == 'fp32'
    assert any('precision: fp32 (asked for)' in r.getMessage() for r in mmlog.records)
    with pytest.raises(ValueError, match='fp16 inference needs a GPU'):
        resolve_precision(zero_shot_model, 'fp16')
    with pytest.raises(ValueError, match='precision must be one of'):
        resolve_precision(zero_shot_model, 'int8')
    monkeypatch.setattr(precision_module, 'cpu_has_bf16_units', lambda: False)
    mmlog.clear()
    assert resolve_precision(zero_shot_model, 'bf16')[0] == 'bf16'
    assert any(r.levelno == logging.WARNING and 'emulated' in r.getMessage() for r in mmlog.records)


def test_windows_forward_in_bf16(long_clip, zero_shot_model):
    """bf16 runs the towers in bf16; the head's logits stay fp32 and finite."""
    path, _, _ = long_clip
    windows = list(VideoWindows(path, 8, 4, 3))[:2]
    data = collate_windows(windows, 8, path, window_pipeline(zero_shot_model.cfg))
    with label_set(zero_shot_model, WORDS):
        out32 = forward_data(zero_shot_model, data, 'fp32')
        out16 = forward_data(zero_shot_model, data, 'bf16')
    assert out32['frames'].dtype == torch.float32 and out16['frames'].dtype == torch.bfloat16
    assert out16['frame_logits'].dtype == torch.float32
    assert torch.isfinite(out16['frame_logits']).all()


def test_a_search_index_keeps_its_precision(zero_shot_model, tmp_path):
    pytest.importorskip('faiss')
    from vtd_mm.apis.search import VideoSearchIndex
    made = VideoSearchIndex.create(str(tmp_path / 'i'), zero_shot_model, DEMO_CFG, None, 2.0,
                                   None, 'bf16')
    made.save()
    assert VideoSearchIndex.open(str(tmp_path / 'i')).precision == 'bf16'
    del made.meta['precision']  # an index written before the precision was recorded
    assert made.precision == 'fp32'
