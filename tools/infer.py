"""Recognise your videos with your own words, and see why: each frame's token.

    python tools/infer.py CONFIG [CHECKPOINT] VIDEO|DIR|LIST [...]
        [--labels "a,b,c" | --label-file FILE] [--top-k 5] [--views N]
        [--batch-size 1] [--workers N] [--precision auto|fp32|bf16|fp16]
        [--out-dir DIR] [--mp4] [--data-prefix DIR] [--device cpu]
        [--cfg-options key=value ...]
    python tools/infer.py CONFIG [CHECKPOINT] --stream SOURCE [--labels ... | --label-file ...]
        [--sample-fps 4] [--stride N] [--max-frames N] [--show] [--out-dir DIR [--mp4]]

Without CHECKPOINT the frozen CLIP of the config runs zero-shot on the words
given with --labels (the untrained prompts and fusion are left out; see
vtd_mm.apis.frozen_clip_options); with one, its label set is used unless
--labels / --label-file give another. For each video it prints the top-k classes and,
for every sampled frame, the class name the frame reads as and its weight for
the predicted class. With --out-dir it writes results.json, a PNG strip per
video and, with --mp4, an annotated copy of each video. Videos of any size and
length: the config's test pipeline samples, resizes and crops. A video that
cannot be decoded is named and skipped (its entry in results.json holds the
error) and the exit status is 1.

--stream SOURCE (a camera index such as 0, a stream URL, or a video file played
as a stream) keeps a rolling window of the model's frames sampled at
--sample-fps and, every --stride sampled frames, prints the current top words
and the token of each frame of the window; --show draws them live in a window
(q quits), --out-dir writes stream.jsonl (one line per step) and, with --mp4,
stream.mp4 (the stream with the words drawn), each when the stream ends.
"""
import argparse
import json
import os.path as osp
import sys

import cv2

from vtd_mm.apis import (
    add_video_tool_arguments,
    check_video_tool_arguments,
    choose_precision,
    collect_videos,
    draw_strip,
    format_result,
    label_set,
    model_for_words,
    parse_labels,
    recognize,
    refuse_existing_outputs,
    write_annotated_video,
)
from vtd_mm.apis.stream import stream_results
from vtd_mm.utils import PendingFile, write_atomically
from vtd_mm.visualization import draw_stream_frame

CHECKPOINT_EXTENSIONS = ('.pth', '.pt', '.ckpt')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_video_tool_arguments(p)
    p.add_argument('--top-k', type=int, default=5, help='classes to report per video')
    p.add_argument('--views', type=int, help='clips per video (default: the config\'s)')
    p.add_argument('--batch-size', type=int, default=1, help='videos per forward pass')
    p.add_argument('--out-dir', help='write results.json, a PNG per video (and --mp4 videos)')
    p.add_argument('--mp4', action='store_true', help='also write an annotated MP4 per video')
    p.add_argument('--overwrite', action='store_true',
                   help='replace files of the same names in --out-dir')
    p.add_argument('--stream', metavar='SOURCE',
                   help='a camera index, stream URL or video file read as a live stream')
    p.add_argument('--sample-fps', type=float, default=4.0, help='--stream: frames read per s')
    p.add_argument('--stride', type=int, help='--stream: sampled frames between two scorings '
                   '(default: half a window)')
    p.add_argument('--max-frames', type=int, help='--stream: stop after this many frames')
    p.add_argument('--show', action='store_true', help='--stream: draw the stream live')
    args = p.parse_args(argv)
    check_video_tool_arguments(p, args, ('top_k', 'views', 'batch_size', 'sample_fps', 'stride',
                                         'max_frames'),
                               videos_required=args.stream is None)
    if args.stream is not None and args.inputs:
        p.error('--stream reads one source: give no videos besides it')
    if args.mp4 and not args.out_dir:
        p.error('--mp4 needs --out-dir')
    return args


def output_paths(args, videos):
    """What ``--out-dir`` will hold: results.json and per video a PNG (and an
    MP4), named by its position and file name."""
    stems = [f'{n:04d}_' + osp.splitext(osp.basename(v))[0] for n, v in enumerate(videos)]
    paths = dict(json=osp.join(args.out_dir, 'results.json'))
    for n, stem in enumerate(stems):
        paths[n, 'png'] = osp.join(args.out_dir, stem + '.png')
        if args.mp4:
            paths[n, 'mp4'] = osp.join(args.out_dir, stem + '.mp4')
    return paths


def stream(args):
    """--stream: results of a rolling window, printed, drawn and logged; the
    log and the drawn video grow on disk (memory stays flat) under temporary
    names, renamed when the stream ends."""
    paths = {}
    if args.out_dir:
        paths['jsonl'] = osp.join(args.out_dir, 'stream.jsonl')
        if args.mp4:
            paths['mp4'] = osp.join(args.out_dir, 'stream.mp4')
    inputs = [args.config] + ([args.stream] if osp.exists(args.stream) else [])
    refuse_existing_outputs(list(paths.values()), args.out_dir, args.overwrite, inputs)
    labels = args.label_source
    model = model_for_words(args.config, args.checkpoint, labels, args.device, args.cfg_options)
    precision = choose_precision(model, args.precision)
    files = {k: PendingFile(p) for k, p in paths.items()}
    log = open(files['jsonl'].tmp, 'w') if 'jsonl' in files else None
    writer, results = None, []

    def on_frame(frame, latest):
        nonlocal writer
        if not (args.show or 'mp4' in files):
            return
        picture = draw_stream_frame(frame, latest)
        if 'mp4' in files:
            if writer is None:
                h, w = picture.shape[:2]
                writer = cv2.VideoWriter(files['mp4'].tmp, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                                         (w, h))
            writer.write(cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        if args.show:
            cv2.imshow('vtd_mm stream', cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
            if cv2.waitKey(1) & 0xFF == ord('q'):
                raise KeyboardInterrupt

    try:
        with label_set(model, parse_labels(labels)):
            for result in stream_results(model, args.stream, args.sample_fps, args.stride,
                                         args.top_k, args.max_frames, on_frame, precision):
                results.append(result)
                if log is not None:
                    log.write(json.dumps(result) + '\n')
                    log.flush()
                print(f"{result['time']:8.2f} s  "
                      + ', '.join(f'{n} {p:.2f}' for n, p in result['top_k'])
                      + '  | frames: ' + ', '.join(result['tokens']), flush=True)
    except KeyboardInterrupt:
        print('stopped')
    except BaseException:
        for f in files.values():
            f.discard()
        raise
    finally:
        if log is not None:
            log.close()
        if writer is not None:
            writer.release()
    for f in files.values():
        f.finish()
    return results


def main(argv=None):
    args = parse_args(argv)
    if args.stream is not None:
        return stream(args)
    videos = collect_videos(args.inputs, args.data_prefix)
    paths = output_paths(args, videos) if args.out_dir else {}
    # before the model runs
    refuse_existing_outputs(list(paths.values()), args.out_dir, args.overwrite,
                            videos + [args.config])
    labels = args.label_source
    model = model_for_words(args.config, args.checkpoint, labels, args.device, args.cfg_options)
    precision = choose_precision(model, args.precision)
    results = recognize(model, videos, labels=labels, top_k=args.top_k, views=args.views,
                        progress=len(videos) > 1, skip_broken=True, batch_size=args.batch_size,
                        workers=args.workers, precision=precision)
    print()
    for result in results:
        print(format_result(result))
    skipped = [r for r in results if 'error' in r]
    if args.out_dir:
        # each file whole or not at all (a temporary file, renamed when complete)
        for n, result in enumerate(results):
            if 'error' in result:
                continue
            if result['views'][0]['frames'][0]['index'] is not None:
                write_atomically(paths[n, 'png'], lambda tmp: draw_strip(result, tmp))
                result['png'] = paths[n, 'png']
            if args.mp4:
                write_atomically(paths[n, 'mp4'],
                                 lambda tmp: write_annotated_video(result, tmp))
                result['mp4'] = paths[n, 'mp4']
        summary = dict(config=args.config, checkpoint=args.checkpoint, results=results)

        def dump(tmp):
            with open(tmp, 'w') as f:
                json.dump(summary, f, indent=1)
        write_atomically(paths['json'], dump)
        done = len(results) - len(skipped)
        print(f'written to {args.out_dir}: results.json, {done} PNG'
              + (f', {done} MP4' if args.mp4 else ''))
    if skipped:
        print(f'{len(skipped)} of {len(results)} videos cannot be decoded and were skipped: '
              + ', '.join(r['video'] for r in skipped[:5]) + (', ...' if len(skipped) > 5 else '')
              + '. Find them all with tools/data/check_videos.py.', file=sys.stderr)
    return results


if __name__ == '__main__':
    # exit status 1 where a video was skipped: its results are missing
    sys.exit(1 if any('error' in r for r in main() or []) else 0)
