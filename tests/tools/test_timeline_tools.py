"""The timeline's evaluation on the demo world and its memory benchmark run
end to end (tiny sizes) and report what they measure."""
import os
import sys

import pytest

from ..paths import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools', 'demo'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'analysis'))
import benchmark_timeline  # noqa: E402
import onnx_eval  # noqa: E402
import search_eval  # noqa: E402
import timeline_eval  # noqa: E402


def test_timeline_eval_reports_each_variant(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the demo configs by their repository path
    monkeypatch.setenv('VTD_DEMO_DATA', str(tmp_path / 'world'))  # restored afterwards
    rows = timeline_eval.main(['--data', str(tmp_path / 'world'), '--work-dir',
                               str(tmp_path / 'wd'), '--videos', '1', '--val-videos', '1',
                               '--epochs', '2', '--videos-per-class', '2', '1', '1'])
    assert [r[0] for r in rows] == list(timeline_eval.VARIANT_NAMES)
    for variant, threshold, accuracy, f1 in rows:
        assert threshold in timeline_eval.THRESHOLDS and 0 <= accuracy <= 1
        assert set(f1) == set(timeline_eval.IOUS) and all(0 <= v <= 1 for v in f1.values())
        # F1 can only fall as the IoU threshold rises
        assert f1[0.1] >= f1[0.25] >= f1[0.5]
    assert sorted(p for p in os.listdir(tmp_path / 'wd') if p.endswith('.png')) == [
        'timeline_VTD-CLIP.png', 'timeline_frozen_zero-shot.png',
        'timeline_prompt_tuning_uniform_average.png']
    assert '| VTD-CLIP |' in capsys.readouterr().out


def test_timeline_memory_benchmark_runs(tmp_path):
    (row, ) = benchmark_timeline.main(['--minutes', '0.1', '--folder', str(tmp_path)])
    assert row['duration'] == pytest.approx(6, abs=0.1) and row['frames'] == 12
    assert row['peak_mib'] >= row['model_mib'] > 0


def test_search_eval_reports_recall_map_latency_size(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv('VTD_DEMO_DATA', str(tmp_path / 'world'))  # restored afterwards
    row = search_eval.main(['--data', str(tmp_path / 'world'), '--work-dir', str(tmp_path / 'wd'),
                            '--videos-per-class', '1', '1', '1'])
    assert row['videos'] == 24 and row['clips'] == 48
    assert 0 <= row['recall1'] <= row['recall5'] <= 1 and 0 < row['map'] <= 1
    assert row['latency_ms'] > 0 and row['mib_per_hour'] > 0


def test_average_precision_by_hand():
    assert search_eval.average_precision([True, False, True]) == (1 + 2 / 3) / 2
    assert search_eval.average_precision([False, False]) == 0


def test_onnx_eval_reports_fp32_and_int8(tmp_path, monkeypatch, capsys):
    pytest.importorskip('onnxruntime')
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv('VTD_DEMO_DATA', str(tmp_path / 'world'))  # restored afterwards
    rows = onnx_eval.main(['--data', str(tmp_path / 'world'), '--work-dir', str(tmp_path / 'wd'),
                           '--videos-per-class', '1', '1', '1'])
    assert list(rows) == ['ONNX Runtime fp32', 'ONNX Runtime int8']
    assert all(r['scores'].shape == (24, 24) and r['frames_per_s'] > 0 for r in rows.values())
    assert rows['ONNX Runtime int8']['mib'] < rows['ONNX Runtime fp32']['mib']
    out = capsys.readouterr().out
    assert '24 test videos, 24 classes' in out and 'int8 vs fp32: same top-1 on' in out
