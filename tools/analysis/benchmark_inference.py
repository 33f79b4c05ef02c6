"""Inference speed of a VTD-CLIP recognizer on one device (random weights).

Side by side in one run, for each precision given:

* the model alone: frames/s of the test-mode forward (vision tower, head,
  fusion; the codebook of K class names cached, as it is at inference) on
  ``--windows`` windows of ``--window-frames`` frames per pass, and its share
  of the measured matmul rate in that precision (MFU);
* the data pipeline alone: sampled frames/s that decoding and the config's
  test transforms deliver from a generated 320x240 video, with 0, 1 and 2
  decoding processes (:class:`vtd_mm.datasets.video_windows.WindowBatches`);
* both together: frames/s of :func:`vtd_mm.apis.timeline.run_windows` (what
  the timeline, feature and search tools run), decoding inline (0 workers)
  and one worker ahead;
* ONNX Runtime (CPU, when installed) on the exported recognizer
  (:func:`vtd_mm.apis.onnx_export.export_onnx`), fp32 and int8 (dynamic
  quantisation of the weights, ``onnxruntime.quantization``); ONNX Runtime's
  CPU provider offers no bf16 kernels for these operators.

These are the ``inference``, ``pipeline`` and ``onnx`` sections of
``tools/analysis/benchmark_clip.py``; run alone, this prints them only
(same arguments)::

    python tools/analysis/benchmark_inference.py --dtype fp32 bf16
"""
import argparse
import os
import os.path as osp
import sys
import time

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import benchmark_clip as bench  # noqa: E402

PIPELINE_CONFIG = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                           'configs', 'vtd_k400_8x16.py')


def add_arguments(p):
    p.add_argument('--windows', type=int, default=4, help='windows per forward pass')
    p.add_argument('--window-frames', type=int, default=8, help='frames per window')
    p.add_argument('--video-seconds', type=float, default=60.0,
                   help='length of the generated video (pipeline, end to end)')
    p.add_argument('--sample-fps', type=float, default=2.0, help='frames sampled per second')


def test_model(args, names):
    """The recognizer in eval mode with the test transforms of
    ``configs/vtd_k400_8x16.py``, resized and cropped to its input size."""
    from mmengine.config import Config
    model = bench.build_vtd(args, names, args.window_frames).eval()
    size = model.backbone.image_size[0]
    cfg = Config.fromfile(PIPELINE_CONFIG)
    for t in cfg.test_pipeline:
        if t['type'] == 'Resize':
            t['scale'] = (-1, size)
        if 'crop_size' in t:
            t['crop_size'] = size
    model.cfg = cfg
    return model


def model_rate(args, model, rate):
    """frames/s of the test-mode forward alone, and its FLOP share of ``rate``."""
    from vtd_mm.apis.precision import autocast_for
    frames = args.windows * args.window_frames
    x = bench.frames_of(model.backbone, frames).view(args.windows, args.window_frames, 3,
                                                     *model.backbone.image_size)
    head = model.cls_head

    def forward(inputs=x):
        with torch.no_grad(), autocast_for(model, args.precision):
            feats, kwargs = model.extract_feat(inputs, test_mode=True)
            head.forward_details(feats, kwargs.get('num_segs'))
    forward()  # the codebook, once per label set
    seconds = bench.timed(forward, args.repeats, args.device)
    flops = bench.count_flops(lambda: forward(x[:1])) * args.windows
    return dict(seconds=seconds, frames_per_s=frames / seconds,
                util=flops / seconds / rate, flops=flops)


def write_video(path, seconds, fps=25, size=(320, 240)):
    """Moving shapes on a drifting texture, MPEG-4 (decoding costs as real video does)."""
    import cv2
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, size)
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (size[1] * 2, size[0] * 2, 3), dtype=np.uint8)
    for i in range(int(seconds * fps)):
        frame = np.ascontiguousarray(texture[i % size[1]:i % size[1] + size[1],
                                             i % size[0]:i % size[0] + size[0]])
        cv2.circle(frame, (int(160 + 100 * np.sin(i / 20)), 120), 40, (0, 0, 255), -1)
        writer.write(frame)
    writer.release()


def pipeline_rate(args, video, workers, transform):
    """Sampled frames/s that decoding + ``transform`` deliver with ``workers``."""
    from torch.utils.data import DataLoader

    from vtd_mm.datasets.video_windows import WindowBatches
    batches = WindowBatches(video, args.window_frames, args.sample_fps, None, args.windows,
                            transform)
    loader = DataLoader(batches, batch_size=None, num_workers=workers,
                        collate_fn=lambda item: item)
    start, frames = time.perf_counter(), 0
    for windows, data in loader:
        frames += sum(len(w.positions) for w in windows)
    return frames / (time.perf_counter() - start)


def end_to_end_rate(args, model, video, workers):
    """Sampled frames/s of :func:`run_windows` (decode, transform, model)."""
    from vtd_mm.apis.timeline import run_windows
    from vtd_mm.datasets.video_windows import VideoWindows
    windows = VideoWindows(video, args.window_frames, args.sample_fps, None)
    start, frames = time.perf_counter(), 0
    for batch, _ in run_windows(model, windows, args.windows, workers=workers,
                                precision=args.precision):
        frames += sum(len(w.positions) for w in batch)
    return frames / (time.perf_counter() - start)


def bench_inference(args, rate, video):
    """The model alone and end to end, in ``args.precision``."""
    names = bench.class_names(args)
    model = test_model(args, names)
    out = model_rate(args, model, rate)
    if video is not None:
        for workers in (0, 1):
            out[f'end_to_end_{workers}'] = end_to_end_rate(args, model, video, workers)
    return out


def bench_pipeline(args, video):
    """The data side alone: sampled frames/s with 0, 1, 2 decoding processes."""
    from mmengine.config import Config

    from vtd_mm.apis.timeline import window_pipeline
    transform = window_pipeline(Config.fromfile(PIPELINE_CONFIG))
    return {workers: pipeline_rate(args, video, workers, transform) for workers in (0, 1, 2)}


def bench_onnx(args, workdir):
    """ONNX Runtime frames/s (fp32, int8) next to PyTorch fp32's on one window."""
    if args.device.type != 'cpu':
        return dict(skipped='ONNX Runtime is measured on the CPU, next to PyTorch on the CPU')
    try:
        import onnxruntime as ort
    except ImportError:
        return dict(skipped='not installed (pip install onnx onnxruntime)')
    from vtd_mm.apis.onnx_export import export_onnx
    args = argparse.Namespace(**dict(vars(args), precision='fp32'))
    names = bench.class_names(args)
    model = test_model(args, names)
    fp32 = osp.join(workdir, 'model.onnx')
    export_onnx(model, fp32)
    int8 = osp.join(workdir, 'model.int8.onnx')
    export_onnx(model, int8, int8=True)
    clip = np.random.default_rng(0).uniform(
        0, 255, (args.window_frames, 3, *model.backbone.image_size)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    out = {}
    for label, path in (('fp32', fp32), ('int8', int8)):
        session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        seconds = bench.timed(lambda s=session: s.run(None, {'frames': clip}), args.repeats)
        out[label] = dict(frames_per_s=args.window_frames / seconds,
                          size_mib=os.path.getsize(path) / 2 ** 20)
    torch_one = argparse.Namespace(**dict(vars(args), windows=1))
    out['pytorch fp32'] = dict(frames_per_s=model_rate(torch_one, model, 1.0)['frames_per_s'])
    return out


def print_inference(args, r):
    print(f"\ninference, {args.windows} windows x {args.window_frames} frames per pass, "
          f"{args.num_classes} class names (codebook cached):")
    print(f"  model alone: {r['frames_per_s']:.1f} frames/s, "
          f"{r['flops'] / r['seconds'] / 1e9:.0f} GFLOP/s = {100 * r['util']:.0f}% of matmul")
    if 'end_to_end_0' in r:
        print(f"  decode + transforms + model (run_windows), {args.sample_fps:g} frames/s of "
              f"video: {r['end_to_end_0']:.1f} frames/s inline, {r['end_to_end_1']:.1f} "
              'with 1 decoding worker')


def print_pipeline(args, r):
    print(f'\ndata pipeline alone (decord + the test transforms of vtd_k400_8x16, 320x240 '
          f'MPEG-4 at 25 fps, {args.sample_fps:g} frames/s sampled):')
    for workers, rate in r.items():
        print(f'  {workers} decoding worker(s): {rate:.1f} frames/s')


def print_onnx(r):
    if 'skipped' in r:
        print(f"\nONNX Runtime: skipped: {r['skipped']}")
        return
    base = r['pytorch fp32']['frames_per_s']
    print('\nONNX Runtime (CPU provider) vs PyTorch, one window per call:')
    for label, row in r.items():
        size = f", {row['size_mib']:.0f} MiB file" if 'size_mib' in row else ''
        print(f"  {label:<13} {row['frames_per_s']:6.1f} frames/s "
              f"({row['frames_per_s'] / base:.2f}x PyTorch fp32){size}")


def generated_video(args, workdir):
    path = osp.join(workdir, 'video.mp4')
    if not osp.exists(path):
        write_video(path, args.video_seconds)
    return path


def main(argv=None):
    """``benchmark_clip.py`` with its inference sections only."""
    argv = list(sys.argv[1:] if argv is None else argv)
    training = ['vision', 'text', 'memory', 'step', 'throughput']
    if '--skip' in argv:  # the user's sections to skip as well
        at = argv.index('--skip') + 1
        return bench.main(argv[:at] + training + argv[at:])
    return bench.main(argv + ['--skip'] + training)


if __name__ == '__main__':
    main()
