"""Speed of the configs' data pipelines (decord decoding, sampling, resizing,
cropping, augmentation) in clips/s for one worker process.

    python tools/analysis/benchmark_pipeline.py [--videos DIR] [--num-videos 6]
        [--size 340x256] [--seconds 10] [--fps 30] [--decord-threads 1 0]

Without ``--videos`` it writes ``--num-videos`` mp4 files of the given size,
length and frame rate (moving shapes on a textured, changing background, as
MPEG-4 Part 2 at OpenCV's default quality) to a temporary folder. Each
pipeline of the fully supervised config (16 frames, 4 clips x 3 crops at test)
and of the protocol configs (32 frames, one view) runs over every video,
best of ``--repeats`` passes; a table gives clips/s per worker and the time of
each transform. ``--decord-threads`` compares decord's decoder threads per
video (MMAction2's ``DecordInit(num_threads=1)`` default; 0 lets decord
choose): both give the same frames, which the tool checks.
"""
import argparse
import os
import os.path as osp
import tempfile
import time
from collections import defaultdict

import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose

import vtd_mm  # noqa: F401  (registers the transforms)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINES = [
    ('fully supervised train, 16 frames', 'configs/vtd_k400_8x16.py', 'train_dataloader'),
    ('fully supervised test, 4 clips x 3 crops x 16', 'configs/vtd_k400_8x16.py',
     'test_dataloader'),
    ('protocols train, 32 frames', 'configs/zero_shot/vtd_zs_k400_32f.py', 'train_dataloader'),
    ('protocols test, 1 view x 32', 'configs/zero_shot/vtd_zs_k400_32f.py', 'test_dataloader'),
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--videos', help='a folder of videos to use instead of generated ones')
    p.add_argument('--num-videos', type=int, default=6)
    p.add_argument('--size', default='340x256', help='WIDTHxHEIGHT of generated videos')
    p.add_argument('--seconds', type=float, default=10.0)
    p.add_argument('--fps', type=int, default=30)
    p.add_argument('--repeats', type=int, default=2, help='passes over the videos (best taken)')
    p.add_argument('--decord-threads', type=int, nargs='+', default=[1, 0],
                   help='DecordInit num_threads values to compare (1: MMAction2 default)')
    p.add_argument('--pipelines', nargs='+', type=int, default=list(range(len(PIPELINES))),
                   help='indices of the pipelines to run (0-3)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    try:
        args.width, args.height = (int(v) for v in args.size.lower().split('x'))
    except ValueError:
        p.error(f'--size takes WIDTHxHEIGHT, e.g. 340x256, got {args.size!r}')
    return args


def write_video(path, width, height, seconds, fps, seed):
    """An mp4 with moving shapes on a textured background that drifts."""
    import cv2
    rng = np.random.default_rng(seed)
    texture = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    texture = cv2.resize(texture, (width * 2, height * 2), interpolation=cv2.INTER_CUBIC)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write {path}')
    shapes = [(rng.uniform(0, width), rng.uniform(0, height), rng.uniform(-4, 4),
               rng.uniform(-4, 4), tuple(int(c) for c in rng.integers(0, 256, 3)))
              for _ in range(4)]
    for t in range(int(seconds * fps)):
        ox, oy = (t * 2) % width, (t // 2) % height
        frame = np.ascontiguousarray(texture[oy:oy + height, ox:ox + width])
        for x, y, dx, dy, colour in shapes:
            cx, cy = int((x + dx * t) % width), int((y + dy * t) % height)
            cv2.circle(frame, (cx, cy), 24, colour, -1)
        writer.write(frame)
    writer.release()
    return path


def videos_of(args, tmp):
    if args.videos:
        exts = ('.mp4', '.avi', '.mkv', '.webm', '.mov')
        paths = sorted(osp.join(args.videos, f) for f in os.listdir(args.videos)
                       if f.lower().endswith(exts))
        if not paths:
            raise SystemExit(f'no videos ({", ".join(exts)}) in {args.videos}')
        return paths
    return [write_video(osp.join(tmp, f'video_{i}.mp4'), args.width, args.height,
                        args.seconds, args.fps, args.seed + i) for i in range(args.num_videos)]


def pipeline_of(config, loader, decord_threads):
    cfg = Config.fromfile(osp.join(ROOT, config))
    steps = []
    for t in cfg[loader].dataset.pipeline:
        t = dict(t)
        if t['type'] == 'DecordInit':
            t['num_threads'] = decord_threads
        steps.append(t)
    return Compose(steps)


def seed_all(seed):
    """The same random crops, flips, jitter and offsets in every pass."""
    import random

    import torch
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run(pipeline, paths, repeats, seed):
    """Best pass over ``paths``: (seconds, {transform: seconds}, last output)."""
    best, out = None, None
    for _ in range(repeats):
        seed_all(seed)
        per_step = defaultdict(float)
        start = time.perf_counter()
        outs = []
        for path in paths:
            results = dict(filename=path, label=0, start_index=0, modality='RGB')
            for t in pipeline.transforms:
                s = time.perf_counter()
                results = t(results)
                per_step[type(t).__name__] += time.perf_counter() - s
            outs.append(results['inputs'])
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best, out = (seconds, dict(per_step)), outs
    return best[0], best[1], out


def main(argv=None):
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    args = parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = videos_of(args, tmp)
        print(f'{len(paths)} videos ({"given" if args.videos else "generated"}: '
              f'{args.size}, {args.seconds:g} s at {args.fps} fps), one worker process, '
              f'best of {args.repeats} passes')
        print(f"{'pipeline':<46}{'decord threads':>15}{'clips/s':>9}{'ms/clip':>9}  "
              'time by transform')
        for index in args.pipelines:
            name, config, loader = PIPELINES[index]
            reference = None
            for threads in args.decord_threads:
                seed_all(args.seed)  # ColorJitter draws its order when built
                pipeline = pipeline_of(config, loader, threads)
                seconds, steps, out = run(pipeline, paths, args.repeats, args.seed)
                if reference is None:
                    reference = out
                else:  # the same frames whatever the decoder threads
                    same = all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(out, reference))
                    if not same:
                        raise RuntimeError(
                            f'{name}: decord with {threads} threads gave other frames')
                total = sum(steps.values())
                parts = ', '.join(f'{k} {100 * v / total:.0f}%' for k, v in
                                  sorted(steps.items(), key=lambda kv: -kv[1]) if v / total >= 0.02)
                clips = len(paths) / seconds
                rows.append(dict(pipeline=name, decord_threads=threads, clips_per_s=clips,
                                 steps=steps, shape=tuple(out[0].shape)))
                print(f'{name:<46}{threads:>15}{clips:>9.2f}{1000 / clips:>9.1f}  {parts}')
    return rows


if __name__ == '__main__':
    main()
