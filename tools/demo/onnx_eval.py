"""Accuracy and speed of the exported demo model on ONNX Runtime, fp32 and
int8, next to PyTorch, on the demo world's test videos.

    python tools/demo/onnx_eval.py [CHECKPOINT] [--data data/demo_world]
        [--work-dir work_dirs/onnx_eval]

Exports the fully supervised demo config (the checkpoint's prompts and fusion,
or the frozen tiny CLIP without one) with the world's 24 class names
(tools/deploy/export_onnx.py), quantises the graph's weights to int8
(ONNX Runtime's dynamic quantisation: int8 weights, activations quantised
per call) and scores every test video (clean condition) with the runner of
tools/deploy/onnx_infer.py (one view) in both, and with PyTorch
(vtd_mm.apis.recognize, the config's test pipeline) in fp32. Prints top-1
accuracy, how often int8 and fp32 ONNX Runtime agree, the largest score
change, and frames/s of the model calls alone.
"""
import argparse
import os
import os.path as osp
import sys
import time

import decord
import numpy as np

from vtd_mm.apis import model_for_words, recognize
from vtd_mm.apis.onnx_export import export_onnx
from vtd_mm.demo.runs import add_world_arguments, prepare_world, world_test_videos

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'deploy'))
import onnx_infer  # noqa: E402

CONFIG = 'configs/demo/vtd_demo_full.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_world_arguments(p, 'work_dirs/onnx_eval')
    return p.parse_args(argv)


def score_all(path, videos):
    """Scores [N, K] of ``videos`` with the runner's sampling, and the
    seconds spent in ONNX Runtime."""
    session, _, frames, size = onnx_infer.load(path)
    scores, seconds = [], 0.0
    for video in videos:
        reader = decord.VideoReader(video, num_threads=1)
        clip = onnx_infer.prepare(reader.get_batch(
            list(onnx_infer.view_indices(len(reader), frames)[0])).asnumpy(), size)
        start = time.perf_counter()
        scores.append(session.run(None, {'frames': clip})[0][0])
        seconds += time.perf_counter() - start
    return np.stack(scores), seconds, frames


def main(argv=None):
    args = parse_args(argv)
    prepare_world(args.data, args.videos_per_class)
    videos, labels, names = world_test_videos(args.data)
    truth = np.array(labels)
    model = model_for_words(CONFIG, args.checkpoint, names)
    os.makedirs(args.work_dir, exist_ok=True)
    fp32, int8 = (osp.join(args.work_dir, f) for f in ('demo.onnx', 'demo.int8.onnx'))
    export_onnx(model, fp32, names)
    export_onnx(model, int8, names, int8=True)
    rows = {}
    for label, path in (('ONNX Runtime fp32', fp32), ('ONNX Runtime int8', int8)):
        scores, seconds, frames = score_all(path, videos)
        rows[label] = dict(scores=scores, frames_per_s=len(videos) * frames / seconds,
                           mib=osp.getsize(path) / 2 ** 20)
    start = time.perf_counter()
    results = recognize(model, videos, labels=names)
    torch_s = time.perf_counter() - start
    torch_top1 = np.array([r['top_k'][0]['label'] for r in results])
    print(f"{len(videos)} test videos, {len(names)} classes, "
          f"{'checkpoint ' + args.checkpoint if args.checkpoint else 'frozen tiny CLIP'}")
    accuracy = 100 * np.mean(torch_top1 == truth)
    print(f"  PyTorch fp32 (config's test pipeline): top-1 {accuracy:.1f}% "
          f"({len(videos) / torch_s:.1f} videos/s, decoding included)")
    for label, r in rows.items():
        top1 = r['scores'].argmax(1)
        print(f"  {label} (runner's sampling): top-1 {100 * np.mean(top1 == truth):.1f}%, "
              f"{r['frames_per_s']:.0f} frames/s in the model, {r['mib']:.2f} MiB")
    a, b = (rows[k]['scores'] for k in rows)
    print(f'  int8 vs fp32: same top-1 on {100 * np.mean(a.argmax(1) == b.argmax(1)):.1f}% of '
          f'the videos; largest score change {np.abs(a - b).max():.4f}')
    return rows


if __name__ == '__main__':
    main()
