"""Find the moments in your videos that match typed words.

    python tools/search.py index CONFIG [CHECKPOINT] VIDEO|DIR|LIST [...] --out INDEX
        [--sample-fps 2] [--stride N] [--batch-size 8] [--workers N] [--precision auto]
        [--video-root DIR] [--device cpu]
        [--launcher none|pytorch|slurm]
    python tools/search.py query INDEX "words" [--top-k 5] [--thumbnails DIR] [--device cpu]

index: embeds clips of the model's num_frames frames (sampled at --sample-fps,
every --stride sampled frames; default one clip after the other) of every video
with the vision tower (a checkpoint's prompts, or the config's frozen CLIP) and
stores them in a FAISS index folder. Run again on the same INDEX to add new and
changed videos; entries of deleted files are dropped; an index made with
another model is refused. With --launcher pytorch (torchrun) or slurm (srun),
each process embeds its share of the new and changed videos into
INDEX/shards/, and the process of rank 0 waits for every share and merges
them into INDEX (a shared file system is assumed).

query: embeds the words with the same model's text tower and prints the best
moments (video, start, end, cosine similarity); with --thumbnails, a PNG of
each moment's middle frame.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
import time

import cv2
import decord

from vtd_mm.apis import (
    PRECISIONS,
    choose_precision,
    collect_videos,
    model_for_words,
    split_checkpoint,
)
from vtd_mm.apis.inputs import WORKERS_HELP, decoding_workers
from vtd_mm.apis.search import SearchIndexError, VideoSearchIndex, query_embedding
from vtd_mm.engine import KeyValueAction
from vtd_mm.utils import launcher_rank, write_atomically
from vtd_mm.visualization import read_frames


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    idx = sub.add_parser('index', help='index (or update the index of) videos')
    idx.add_argument('config', help='config file')
    idx.add_argument('inputs', nargs='+', metavar='[CHECKPOINT] VIDEO|DIR|LIST')
    idx.add_argument('--out', required=True, help='the index folder')
    idx.add_argument('--sample-fps', type=float, default=2.0)
    idx.add_argument('--stride', type=int, help='sampled frames between clips (default: a clip)')
    idx.add_argument('--batch-size', type=int, default=8)
    idx.add_argument('--video-root', '--data-prefix', dest='data_prefix',
                     help='folder the paths of a list are relative to')
    idx.add_argument('--device', default='cpu')
    idx.add_argument('--precision', default='auto', choices=PRECISIONS,
                     help='auto: bf16 where it pays (see tools/infer.py); an index keeps '
                     'the precision it was made with')
    idx.add_argument('--workers', type=int, help=WORKERS_HELP)
    idx.add_argument('--cfg-options', nargs='+', action=KeyValueAction)
    idx.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                     help='split the videos over the processes of a launcher')
    idx.add_argument('--wait', type=float, default=3600,
                     help='seconds rank 0 waits for the other shares')
    qry = sub.add_parser('query', help='search an index with words')
    qry.add_argument('index', help='the index folder')
    qry.add_argument('words', help='what to look for, e.g. "a dog catching a frisbee"')
    qry.add_argument('--top-k', type=int, default=5)
    qry.add_argument('--thumbnails', help='folder for a PNG of each hit')
    qry.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    if args.command == 'index':
        args.checkpoint, args.inputs = split_checkpoint(args.inputs)
        if not args.inputs:
            p.error('no videos given after the checkpoint')
        if args.sample_fps <= 0 or args.batch_size < 1 or (args.stride or 1) < 1:
            p.error('--sample-fps, --batch-size and --stride must be positive')
        args.workers = decoding_workers(p, args.workers, args.device)
    elif args.top_k < 1:
        p.error(f'--top-k must be at least 1, got {args.top_k}')
    elif not args.words.strip():
        p.error('an empty query: type the words to search for')
    return args


def world(launcher):
    """(rank, processes) as the launcher sets them in the environment."""
    if launcher == 'none':
        return 0, 1
    size = os.environ.get('SLURM_NTASKS' if launcher == 'slurm' else 'WORLD_SIZE', '1')
    return launcher_rank(launcher), int(size)


def index(args):
    videos = collect_videos(args.inputs, args.data_prefix)
    # without a checkpoint the frozen CLIP: no label set is needed to embed clips
    model = model_for_words(args.config, args.checkpoint, None, args.device, args.cfg_options,
                            require_labels=False)
    existing = osp.exists(osp.join(args.out, 'meta.json'))
    if existing:
        store = VideoSearchIndex.open(args.out)
        store.check_model(model)
        if args.precision not in ('auto', store.precision):
            print(f'{args.out} holds {store.precision} embeddings: new ones are computed in '
                  f'{store.precision} too (--precision {args.precision} is for a new index)')
    else:
        store = VideoSearchIndex.create(args.out, model, args.config, args.checkpoint,
                                        args.sample_fps, args.stride,
                                        choose_precision(model, args.precision))
    rank, size = world(args.launcher)
    if size == 1:
        done = store.update(model, videos, args.batch_size, progress=True, workers=args.workers)
    else:
        done = sharded_update(args, store, model, videos, rank, size)
        if rank != 0:
            return done
    store.save()
    hours = sum(v['duration'] for v in store.meta['videos'].values()) / 3600
    print(f"\n{args.out}: {len(store.meta['videos'])} videos ({60 * hours:.1f} min), "
          f"{store.vectors.ntotal} clips; " + ', '.join(
              f'{len(v)} {k}' for k, v in done.items()))
    for s in done['skipped']:
        print(f"  skipped {s['video']}: {s['error']}", file=sys.stderr)
    return done


def sharded_update(args, store, model, videos, rank, size):
    """This process's share (every size-th pending video from its rank) into
    INDEX/shards/rank_R-of-N; rank 0 then merges every share into ``store``."""
    pending = store.pending(videos)
    shards = [osp.join(args.out, 'shards', f'rank_{r}-of-{size}') for r in range(size)]
    mine = VideoSearchIndex.create(shards[rank], model, args.config, args.checkpoint,
                                   store.meta['sample_fps'], store.meta['stride'],
                                   store.precision)
    done = mine.update(model, pending[rank::size], args.batch_size, progress=True,
                       workers=args.workers)
    mine.meta['skipped'] = done['skipped']
    mine.save()
    print(f'rank {rank} of {size}: {len(pending[rank::size])} of {len(pending)} videos to embed '
          f'-> {shards[rank]}', flush=True)
    if rank != 0:
        return done
    deadline = time.time() + args.wait
    while not all(osp.exists(osp.join(s, 'meta.json')) for s in shards):
        if time.time() > deadline:
            missing = [s for s in shards if not osp.exists(osp.join(s, 'meta.json'))]
            raise SystemExit(f'waited {args.wait:.0f} s for {missing}: a process of the launcher '
                             'did not finish; run again (videos already merged are kept).')
        time.sleep(1)
    pending_paths = set(map(osp.abspath, pending))
    done = dict(added=[], updated=[],
                unchanged=[v for v in map(osp.abspath, videos) if v not in pending_paths],
                dropped=store.drop_missing(), skipped=[])
    for folder in shards:
        shard = VideoSearchIndex.open(folder)
        for path in shard.meta['videos']:
            done['updated' if path in store.meta['videos'] else 'added'].append(path)
        store.merge(shard)
        done['skipped'] += shard.meta.get('skipped', [])
    store.save()
    shutil.rmtree(osp.join(args.out, 'shards'))
    return done


def query(args):
    store = VideoSearchIndex.open(args.index)
    meta = store.meta
    for path in (meta['config'], meta['checkpoint']):
        if path is not None and not osp.isfile(path):
            raise SystemExit(f'{args.index} was made with {path}, which is gone: the query '
                             'needs the same model.')
    # built as the index was: the checkpoint's model, or the config's frozen CLIP
    model = model_for_words(meta['config'], meta['checkpoint'], None, args.device,
                            require_labels=False)
    store.check_model(model)
    hits = store.search(query_embedding(model, args.words), args.top_k)
    print(f'"{args.words}" in {args.index}:')
    for n, hit in enumerate(hits):
        line = (f"  {n + 1}. {hit['video']}  {hit['start']:.2f} - {hit['end']:.2f} s  "
                f"{hit['score']:.3f}")
        if args.thumbnails:
            middle = (hit['start'] + hit['end']) / 2
            hit['thumbnail'] = osp.join(
                args.thumbnails,
                f"{n + 1:02d}_{osp.splitext(osp.basename(hit['video']))[0]}_{middle:.1f}s.png")
            write_thumbnail(hit['video'], middle, hit['thumbnail'])
            line += f"  {hit['thumbnail']}"
        print(line)
    return hits


def write_thumbnail(video, time_s, path):
    reader = decord.VideoReader(video, num_threads=1)
    index = min(int(time_s * (reader.get_avg_fps() or 25)), len(reader) - 1)
    frame = read_frames(video, [index])[0]
    write_atomically(path, lambda tmp: cv2.imwrite(tmp, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)))


def main(argv=None):
    args = parse_args(argv)
    try:
        return index(args) if args.command == 'index' else query(args)
    except SearchIndexError as err:
        raise SystemExit(str(err))


if __name__ == '__main__':
    out = main()
    sys.exit(1 if isinstance(out, dict) and out['skipped'] else 0)
