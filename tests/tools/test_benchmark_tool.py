"""tools/analysis/benchmark_clip.py runs every section with every option on a
tiny CLIP on the CPU, and its figures are consistent."""
import json
import os
import sys

import pytest
import torch

from ..conftest import TINY_ARCH
from ..paths import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tools', 'analysis'))
import benchmark_clip  # noqa: E402


def test_every_section_fp32_and_bf16_side_by_side(capsys):
    argv = ['--arch', json.dumps(TINY_ARCH), '--device', 'cpu', '--dtype', 'fp32', 'bf16',
            '--frames', '2', '--num-classes', '5', '--n-ctx', '2', '--depth', '2',
            '--repeats', '1', '--step-frames', '2', '--step-batch', '2',
            '--throughput', '1x2', '2x2', '--threads', '1', '--windows', '2',
            '--window-frames', '2', '--video-seconds', '4', '--profile']
    threads = torch.get_num_threads()
    try:
        results = benchmark_clip.main(argv)
    finally:  # --threads sets the process's threads: give the other tests theirs back
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert set(results) == {'fp32', 'bf16', 'pipeline', 'onnx'}
    assert set(results['pipeline']) == {0, 1, 2} and min(results['pipeline'].values()) > 0
    onnx = results.pop('onnx')
    assert set(onnx) == {'fp32', 'int8', 'pytorch fp32'}
    assert all(row['frames_per_s'] > 0 for row in onnx.values())
    del results['pipeline']
    for precision, r in results.items():
        assert r['matmul'] > 0
        assert set(r) >= {'vision', 'text', 'text_bwd', 'memory', 'step', 'throughput',
                          'inference'}
        inference = r['inference']
        assert inference['frames_per_s'] == pytest.approx(4 / inference['seconds'])
        assert inference['util'] > 0 and inference['end_to_end_0'] > 0
        assert inference['end_to_end_1'] > 0
        assert r['vision']['flops'] > 0 and 0 < r['vision']['seconds']
        step = r['step']['shared_prefix']
        # the step's FLOPs are its parts'; the text variants differ only in the text tower
        assert step['step']['flops'] == pytest.approx(
            step['vision']['flops'] + step['text']['flops'] + step['head']['flops'])
        assert r['step']['full']['text']['flops'] > step['text']['flops']
        assert [(t['clips'], t['frames'], t['with_cp']) for t in r['throughput']] == [
            (1, 2, False), (1, 2, True), (2, 2, False), (2, 2, True)]
        for t in r['throughput']:
            assert t['clips_per_s'] == pytest.approx(t['clips'] / t['seconds'])
            assert t['peak_mib'] > 0 and t['util'] > 0
        assert r['memory']['plain']['peak_mib'] > 0 and r['memory']['cp']['peak_mib'] > 0
    assert '=== fp32 ===' in out and '=== autocast bf16 ===' in out
    assert 'side by side' in out and 'training step 2x2, shared_prefix, bf16' in out
    assert '1x2 with_cp=False: fp32' in out
    assert 'operators of the shared_prefix step by their own time' in out and 'aten::' in out
    assert 'inference 2x2, bf16 : model alone' in out and '2 decoding worker(s)' in out
    assert 'ONNX Runtime (CPU provider) vs PyTorch' in out and 'int8' in out


def test_arguments():
    args = benchmark_clip.parse_args(['--device', 'cpu'])
    assert args.throughput == [(2, 8)] and args.dtype == ['fp32']
    assert args.step_text == ['full', 'cut', 'shared_prefix']
    with pytest.raises(SystemExit):
        benchmark_clip.parse_args(['--throughput', '16by16'])
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            benchmark_clip.parse_args(['--device', 'cuda'])


def test_autocast_is_the_measured_precision():
    args = benchmark_clip.parse_args(['--dtype', 'bf16'])
    with benchmark_clip.autocast(args):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
    args.precision = 'fp16'
    with benchmark_clip.autocast(args):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float16
    args.precision = 'fp32'
    with benchmark_clip.autocast(args):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32


def test_pipeline_benchmark_runs_the_configs_pipelines(capsys):
    """Generated videos through two of the configs' pipelines, decord with 1
    thread and with its own choice: same frames (checked by the tool), shapes
    of the configs' clips."""
    import benchmark_pipeline
    rows = benchmark_pipeline.main(['--num-videos', '2', '--size', '96x64', '--seconds', '1.5',
                                    '--fps', '24', '--repeats', '1', '--pipelines', '0', '1'])
    assert [(r['pipeline'][:24], r['decord_threads']) for r in rows] == [
        ('fully supervised train, ', 1), ('fully supervised train, ', 0),
        ('fully supervised test, 4', 1), ('fully supervised test, 4', 0)]
    assert rows[0]['shape'] == (16, 3, 224, 224)          # one view of 16 frames
    assert rows[2]['shape'] == (4 * 3 * 16, 3, 224, 224)  # 4 clips x 3 crops
    for r in rows:
        assert r['clips_per_s'] > 0 and 'DecordDecode' in r['steps']
    assert 'clips/s' in capsys.readouterr().out
