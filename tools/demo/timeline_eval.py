"""Timelines on long videos of the demo world with known boundaries: frame accuracy
and segmental F1 at IoU 0.1 / 0.25 / 0.5, per variant.

    python tools/demo/timeline_eval.py [--data data/demo_world] [--work-dir DIR]
        [--videos 10] [--val-videos 4] [--seed 0] [--epochs N] [--sample-fps 4]

Long videos: 6 segments of 4-8 s, each of a class of the whole world (24
names), each followed by 0-3 s of blank or noise frames (none of the names),
8 fps, 32x32 (vtd_mm.demo.long_video). Variants, all on the fully supervised
demo config: the frozen tiny CLIP (no training), prompt tuning with a uniform
average over frames, and VTD-CLIP (confidence weights, discrete token, fusion),
each trained on the world's training videos (short clips, no long video). Each
variant's background threshold (the similarity below which a frame is "none
of these") is chosen on the validation long videos for the best frame
accuracy, then every figure is measured on the test long videos. Sampled frames
are scored at --sample-fps; smoothing 3 frames, minimum segment 1 s. Pictures
of the first test video's timeline per variant, above the truth, are written
to WORK_DIR/timeline_<variant>.png.
"""
import argparse
import os
import os.path as osp
import time

import numpy as np
from mmengine.config import Config

from vtd_mm.apis import draw_timeline, init_recognizer, label_set, segments_from_scores
from vtd_mm.apis.timeline import frame_readings
from vtd_mm.datasets import load_class_names
from vtd_mm.demo.dataset import write_mp4
from vtd_mm.demo.long_video import long_video
from vtd_mm.demo.runs import console_to, prepare_world, train_and_test, variant_config, with_epochs
from vtd_mm.evaluation.segmentation import frame_accuracy, runs, segment_f1

VARIANT_NAMES = ('frozen zero-shot (uniform average)', 'prompt tuning, uniform average',
                 'VTD-CLIP')
IOUS = (0.1, 0.25, 0.5)
THRESHOLDS = np.round(np.arange(0.0, 1.0001, 0.025), 3)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='data/demo_world', help='the world (generated if absent)')
    p.add_argument('--work-dir', default='work_dirs/timeline_eval')
    p.add_argument('--videos', type=int, default=10, help='test long videos')
    p.add_argument('--val-videos', type=int, default=4, help='long videos for the threshold')
    p.add_argument('--seed', type=int, default=0, help='training seed')
    p.add_argument('--epochs', type=int, help="override the config's epochs")
    p.add_argument('--sample-fps', type=float, default=4.0)
    p.add_argument('--videos-per-class', type=int, nargs=3, metavar=('TRAIN', 'VAL', 'TEST'),
                   help='a smaller world, where it is generated (default 10 3 8)')
    return p.parse_args(argv)


def truth_at(truth, times):
    """The true label (None: a gap) at each time."""
    return [next((t['label'] for t in truth if t['start'] <= s < t['end']), None)
            for s in times]


def scores_of(readings, truths, threshold):
    """frame accuracy and F1 per IoU over ``readings`` of videos with ``truths``."""
    correct = total = 0
    f1 = {iou: [] for iou in IOUS}
    for r, truth in zip(readings, truths):
        segments = segments_from_scores(r.scores, r.starts, r.ends, r.names, smooth=3,
                                        min_segment=1.0, background=threshold,
                                        similarity=r.similarity)
        labels = [next(s['label'] for s in segments if s['start'] <= t < s['end'] + 1e-9)
                  for t in r.starts]
        expected = truth_at(truth, r.starts)
        correct += frame_accuracy(labels, expected) * len(labels)
        total += len(labels)
        for iou in IOUS:
            f1[iou].append(segment_f1(runs(labels, r.starts, r.ends), truth, iou))
    return correct / total, {iou: float(np.mean(v)) for iou, v in f1.items()}


def as_timeline(r, path, threshold):
    """The timeline dict (as vtd_mm.apis.video_timeline returns) of readings ``r``."""
    segments = segments_from_scores(r.scores, r.starts, r.ends, r.names, smooth=3,
                                    min_segment=1.0, background=threshold,
                                    similarity=r.similarity)
    frames = [dict(index=int(i), time=float(t), token=r.names[int(k)])
              for i, t, k in zip(r.indices, r.starts, r.tokens)]
    return dict(video=path, duration=r.duration, label_set=r.names, frames=frames,
                segments=segments)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    prepare_world(args.data, args.videos_per_class)
    names = load_class_names('demo_world_all.txt')
    with console_to(osp.join(args.work_dir, 'console.log')):
        full = Config.fromfile('configs/demo/vtd_demo_full.py')
    if args.epochs:
        full = with_epochs(full, args.epochs)
    # the long videos: validation (threshold) and test
    rng = np.random.default_rng(2026)
    videos = {'val': [], 'test': []}
    folder = osp.join(args.work_dir, 'long_videos')
    os.makedirs(folder, exist_ok=True)
    for split, count in (('val', args.val_videos), ('test', args.videos)):
        for n in range(count):
            picked = [names[i] for i in rng.choice(len(names), 6, replace=False)]
            frames, truth = long_video(picked, rng, fps=8, gap_s=(0.0, 3.0))
            path = osp.join(folder, f'{split}_{n:02d}.mp4')
            write_mp4(path, frames, fps=8)
            videos[split].append((path, truth))
    hours = sum(t[-1]['end'] for _, t in videos['test']) / 3600
    print(f'{args.videos} test long videos ({60 * hours:.1f} min), {args.val_videos} for the '
          f'threshold', flush=True)
    rows = []
    for variant in VARIANT_NAMES:
        cfg = variant_config(full, variant)
        trains = variant != VARIANT_NAMES[0]
        t0 = time.time()
        checkpoint = None
        if trains:
            _, checkpoint = train_and_test(
                cfg, osp.join(args.work_dir, variant.replace(' ', '_').replace(',', '')),
                args.seed)
        model = init_recognizer(cfg, checkpoint)
        with label_set(model, names):
            readings = {split: [frame_readings(model, path, names, args.sample_fps)
                                for path, _ in videos[split]] for split in videos}
        truths = {split: [t for _, t in videos[split]] for split in videos}
        best = max(THRESHOLDS, key=lambda th: scores_of(readings['val'], truths['val'], th)[0])
        accuracy, f1 = scores_of(readings['test'], truths['test'], best)
        rows.append((variant, best, accuracy, f1))
        slug = variant.split(' (')[0].replace(',', '').replace(' ', '_')
        draw_timeline(as_timeline(readings['test'][0], videos['test'][0][0], best),
                      osp.join(args.work_dir, f'timeline_{slug}.png'), truth=truths['test'][0])
        print(f'[{time.time() - start:4.0f} s] {variant}: threshold {best:.3f}, frame accuracy '
              f'{100 * accuracy:.1f}, F1@' + ', '.join(f'{iou}: {100 * v:.1f}'
                                                      for iou, v in f1.items())
              + f' ({time.time() - t0:.0f} s)', flush=True)
    table = ['| variant | background threshold (val) | frame accuracy | F1@0.1 | F1@0.25 '
             '| F1@0.5 |', '|---|---|---|---|---|---|']
    table += [f'| {v} | {th:.3f} | {100 * acc:.1f} | '
              + ' | '.join(f'{100 * f1[iou]:.1f}' for iou in IOUS) + ' |'
              for v, th, acc, f1 in rows]
    print('\n' + '\n'.join(table))
    print(f'\nTotal time: {(time.time() - start) / 60:.1f} min on {os.cpu_count()} CPU cores.')
    return rows


if __name__ == '__main__':
    main()
