"""Label the parts of long videos with your own words: a timeline per video.

    python tools/timeline.py CONFIG [CHECKPOINT] VIDEO|DIR|LIST [...]
        --labels "a,b,c" | --label-file FILE  --out-dir DIR
        [--sample-fps 2] [--stride N] [--smooth 3] [--min-segment 1.0]
        [--background P] [--batch-size 8] [--workers N] [--precision auto] [--mp4]
        [--overwrite] [--device cpu]
        [--cfg-options key=value ...]

Windows of the model's num_frames frames, sampled at --sample-fps, every
--stride sampled frames (default: half a window), are scored; every sampled
frame gets the mean scores of its windows and the class name it reads as.
Segments: scores smoothed over --smooth frames, a frame whose cosine
similarity to its nearest class name is below --background is "none of
these", segments shorter than --min-segment seconds join their longer
neighbour. Without CHECKPOINT the frozen CLIP of the
config runs zero-shot. Writes per video NNNN_name.json (frames and segments),
NNNN_name.csv (segments), NNNN_name.png (thumbnails over a band of labels) and,
with --mp4, NNNN_name.mp4 (the video with its segment written on every frame).
Decoding is streamed: memory does not grow with the video's length. A video
that cannot be decoded is named and skipped, and the exit status is 1.
"""
import argparse
import csv
import json
import os.path as osp
import sys

from vtd_mm.apis import (
    add_video_tool_arguments,
    check_video_tool_arguments,
    choose_precision,
    collect_videos,
    draw_timeline,
    model_for_words,
    refuse_existing_outputs,
    video_timeline,
)
from vtd_mm.datasets import BrokenVideoError
from vtd_mm.utils import write_atomically
from vtd_mm.visualization import write_timeline_video


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_video_tool_arguments(p)
    p.add_argument('--out-dir', required=True, help='folder for the JSON, CSV and PNG files')
    p.add_argument('--sample-fps', type=float, default=2.0, help='frames per second read')
    p.add_argument('--stride', type=int, help='sampled frames between windows (default: '
                   'half a window)')
    p.add_argument('--smooth', type=int, default=3, help='frames the scores are averaged over')
    p.add_argument('--min-segment', type=float, default=1.0, help='shortest segment, seconds')
    p.add_argument('--background', type=float,
                   help='a frame whose cosine similarity to its nearest class name is below '
                   'this is "none of these" (e.g. 0.5)')
    p.add_argument('--batch-size', type=int, default=8, help='windows per forward pass')
    p.add_argument('--mp4', action='store_true', help='also write the video with its labels')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the same names in --out-dir')
    args = p.parse_args(argv)
    check_video_tool_arguments(p, args, ('sample_fps', 'smooth', 'batch_size', 'stride'))
    if args.min_segment < 0:
        p.error(f'--min-segment must be at least 0, got {args.min_segment}')
    return args


def output_paths(out_dir, videos, mp4=False):
    stems = [f'{n:04d}_' + osp.splitext(osp.basename(v))[0] for n, v in enumerate(videos)]
    kinds = ('json', 'csv', 'png') + (('mp4', ) if mp4 else ())
    return [{ext: osp.join(out_dir, f'{stem}.{ext}') for ext in kinds} for stem in stems]


def write_outputs(timeline, paths):
    """The JSON, CSV and PNG of one timeline, each whole or not at all."""
    def dump_json(tmp):
        with open(tmp, 'w') as f:
            json.dump(timeline, f, indent=1)

    def dump_csv(tmp):
        with open(tmp, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['start_s', 'end_s', 'label', 'score'])
            for s in timeline['segments']:
                writer.writerow([s['start'], s['end'], s['label'] or '', s['score']])
    write_atomically(paths['json'], dump_json)
    write_atomically(paths['csv'], dump_csv)
    write_atomically(paths['png'], lambda tmp: draw_timeline(timeline, tmp))
    if 'mp4' in paths:
        write_atomically(paths['mp4'], lambda tmp: write_timeline_video(timeline, tmp))


def main(argv=None):
    args = parse_args(argv)
    videos = collect_videos(args.inputs, args.data_prefix)
    paths = output_paths(args.out_dir, videos, args.mp4)
    refuse_existing_outputs([p for v in paths for p in v.values()], args.out_dir,
                            args.overwrite, videos + [args.config])
    labels = args.label_source
    model = model_for_words(args.config, args.checkpoint, labels, args.device, args.cfg_options)
    precision = choose_precision(model, args.precision)
    results = []
    for video, out in zip(videos, paths):
        try:
            timeline = video_timeline(model, video, labels, sample_fps=args.sample_fps,
                                      stride=args.stride, batch_size=args.batch_size,
                                      smooth=args.smooth, min_segment=args.min_segment,
                                      background=args.background, progress=True,
                                      workers=args.workers, precision=precision)
        except BrokenVideoError as err:
            print(f'\n{video}\n  skipped: {err}', file=sys.stderr)
            results.append(dict(video=video, error=str(err)))
            continue
        write_outputs(timeline, out)
        results.append(timeline)
        print(f"\n{video} ({timeline['duration']:.1f} s): {len(timeline['segments'])} segments "
              f"-> {out['json']}")
        for s in timeline['segments']:
            print(f"  {s['start']:8.2f} - {s['end']:8.2f} s  {s['label'] or '(none of these)'}"
                  f"  {s['score']:.2f}")
    skipped = [r for r in results if 'error' in r]
    if skipped:
        print(f'{len(skipped)} of {len(results)} videos cannot be decoded and were skipped.',
              file=sys.stderr)
    return results


if __name__ == '__main__':
    sys.exit(1 if any('error' in r for r in main()) else 0)
