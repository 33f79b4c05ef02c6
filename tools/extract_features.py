"""Export frame and clip embeddings, frame tokens and weights of videos, memory-mappable.

    python tools/extract_features.py CONFIG [CHECKPOINT] VIDEO|DIR|LIST [...] --out-dir DIR
        [--labels "a,b,c" | --label-file FILE] [--sample-fps 2] [--stride N]
        [--batch-size 8] [--workers N] [--precision auto] [--video-root DIR] [--overwrite]
        [--device cpu]
        [--cfg-options key=value ...]

Like MMAction2's tools/misc/clip_feature_extraction.py in its long-video
mode (clips every --stride frames of a whole video), but one set of arrays for
all videos instead of a pickle per video. Writes into --out-dir (see
docs/applications.md for the layout):

    frame_embeddings.npy [F, D] float32   clip_embeddings.npy [W, D] float32
    frame_times.npy      [F] float64 (s)  clip_times.npy      [W, 2] float64 (s)
    frame_indices.npy    [F] int64        clip_tokens.npy     [W] int64
    frame_tokens.npy     [F] int64        clip_scores.npy     [W, K] float32
    frame_weights.npy    [F] float32      index.json: videos, their rows, the label set

np.load(path, mmap_mode='r') maps each array; index.json gives each video's
rows. Without CHECKPOINT the frozen CLIP of the config is used (zero-shot; the
tokens then need --labels / --label-file). Every file is written whole or not
at all; a video that cannot be decoded is named, skipped and listed in
index.json, and the exit status is 1.
"""
import argparse
import json
import os.path as osp
import sys

from vtd_mm.apis import (
    add_video_tool_arguments,
    check_video_tool_arguments,
    choose_precision,
    collect_videos,
    label_set,
    model_for_words,
    parse_labels,
    refuse_existing_outputs,
)
from vtd_mm.apis.features import video_features
from vtd_mm.datasets import BrokenVideoError
from vtd_mm.utils import NpyRows, write_atomically

FRAME_ARRAYS = dict(frame_embeddings='float32', frame_times='float64', frame_indices='int64',
                    frame_tokens='int64', frame_weights='float32')
CLIP_ARRAYS = dict(clip_embeddings='float32', clip_times='float64', clip_tokens='int64',
                   clip_scores='float32')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_video_tool_arguments(p)
    p.add_argument('--out-dir', required=True, help='folder for the arrays and index.json')
    p.add_argument('--sample-fps', type=float, default=2.0, help='frames per second read')
    p.add_argument('--stride', type=int, help='sampled frames between clips (default: one clip)')
    p.add_argument('--batch-size', type=int, default=8, help='clips per forward pass')
    p.add_argument('--overwrite', action='store_true', help='replace the files in --out-dir')
    args = p.parse_args(argv)
    check_video_tool_arguments(p, args, ('sample_fps', 'batch_size', 'stride'))
    return args


def main(argv=None):
    args = parse_args(argv)
    videos = collect_videos(args.inputs, args.data_prefix)
    names = [*FRAME_ARRAYS, *CLIP_ARRAYS]
    paths = {k: osp.join(args.out_dir, f'{k}.npy') for k in names}
    paths['index'] = osp.join(args.out_dir, 'index.json')
    refuse_existing_outputs(list(paths.values()), args.out_dir, args.overwrite,
                            videos + [args.config])
    labels = args.label_source
    model = model_for_words(args.config, args.checkpoint, labels, args.device, args.cfg_options)
    precision = choose_precision(model, args.precision)
    writers, index, skipped = {}, [], []
    try:
        with label_set(model, parse_labels(labels)) as label_names:
            for video in videos:
                try:
                    out = video_features(model, video, args.sample_fps, args.stride,
                                         args.batch_size, progress=True,
                                         workers=args.workers, precision=precision)
                except BrokenVideoError as err:
                    print(f'\n{video}\n  skipped: {err}', file=sys.stderr)
                    skipped.append(dict(video=video, error=str(err)))
                    continue
                rows = {}
                for key, dtype in {**FRAME_ARRAYS, **CLIP_ARRAYS}.items():
                    if key not in writers:
                        writers[key] = NpyRows(paths[key], dtype, out[key].shape[1:])
                    rows[key] = writers[key].append(out[key])
                index.append(dict(video=video, duration=round(out['duration'], 3),
                                  frames=list(rows['frame_times']),
                                  clips=list(rows['clip_times'])))
                print(f"\n{video}: {len(out['frame_times'])} frames, "
                      f"{len(out['clip_times'])} clips")
        for writer in writers.values():
            writer.close()
    except BaseException:
        for writer in writers.values():
            writer.discard()
        raise
    summary = dict(config=args.config, checkpoint=args.checkpoint, label_set=label_names,
                   sample_fps=args.sample_fps, stride=args.stride,
                   arrays={k: dict(shape=[w.rows, *w.row_shape], dtype=str(w.dtype))
                           for k, w in writers.items()},
                   videos=index, skipped=skipped)

    def dump(tmp):
        with open(tmp, 'w') as f:
            json.dump(summary, f, indent=1)
    write_atomically(paths['index'], dump)
    print(f'written to {args.out_dir}: {len(index)} videos'
          + (f', {len(skipped)} skipped' if skipped else ''))
    return summary


if __name__ == '__main__':
    sys.exit(1 if main()['skipped'] else 0)
