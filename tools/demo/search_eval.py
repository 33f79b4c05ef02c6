"""Search over the demo world's test videos, queried with each class name:
recall@1 / @5, mean average precision, query latency and index size.

    python tools/demo/search_eval.py [CHECKPOINT] [--data data/demo_world]
        [--work-dir work_dirs/search_eval] [--sample-fps 8]

Indexes every video of the world's test list (24 classes, clean condition)
with the fully supervised demo config (the checkpoint's prompts, or the frozen
tiny CLIP without one), then queries each class name: a hit is relevant when
its video shows that class. recall@k: share of queries with a relevant clip
among the first k; AP: the mean of the precision at each relevant clip of the
whole ranking; mAP over the 24 queries. Latency: the mean over the queries of
the text embedding plus the search. Size: the index folder per hour of video.
"""
import argparse
import os
import os.path as osp
import time

import numpy as np

from vtd_mm.apis import model_for_words
from vtd_mm.apis.search import VideoSearchIndex, query_embedding
from vtd_mm.demo.runs import add_world_arguments, prepare_world, world_test_videos

CONFIG = 'configs/demo/vtd_demo_full.py'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_world_arguments(p, 'work_dirs/search_eval')
    p.add_argument('--sample-fps', type=float, default=8.0, help='the demo videos have 8 fps')
    return p.parse_args(argv)


def average_precision(relevant) -> float:
    relevant = np.asarray(relevant, dtype=bool)
    if not relevant.any():
        return 0.0
    hits = np.cumsum(relevant)
    return float(np.mean(hits[relevant] / (np.flatnonzero(relevant) + 1)))


def main(argv=None):
    args = parse_args(argv)
    prepare_world(args.data, args.videos_per_class)
    videos, labels, names = world_test_videos(args.data)
    label_of = {v: names[label] for v, label in zip(videos, labels)}
    model = model_for_words(CONFIG, args.checkpoint, None, require_labels=False)
    folder = osp.join(args.work_dir, 'index_' + ('checkpoint' if args.checkpoint else 'frozen'))
    store = VideoSearchIndex.create(folder, model, CONFIG, args.checkpoint, args.sample_fps,
                                    None)
    t0 = time.time()
    store.update(model, videos)
    store.save()
    index_s = time.time() - t0
    total = store.vectors.ntotal
    recall1 = recall5 = 0
    aps, latency = [], []
    for name in names:
        t = time.perf_counter()
        hits = store.search(query_embedding(model, name), total)
        latency.append(time.perf_counter() - t)
        relevant = [label_of[h['video']] == name for h in hits]
        recall1 += any(relevant[:1])
        recall5 += any(relevant[:5])
        aps.append(average_precision(relevant))
    hours = sum(v['duration'] for v in store.meta['videos'].values()) / 3600
    size = sum(os.path.getsize(osp.join(folder, f)) for f in os.listdir(folder))
    row = dict(model='checkpoint' if args.checkpoint else 'frozen tiny CLIP',
               videos=len(videos), clips=total, minutes=60 * hours,
               recall1=recall1 / len(names), recall5=recall5 / len(names), map=np.mean(aps),
               latency_ms=1000 * float(np.mean(latency)), index_s=index_s,
               mib_per_hour=size / 2**20 / hours)
    print(f"{row['model']}: {row['videos']} videos ({row['minutes']:.1f} min), {total} clips "
          f"indexed in {index_s:.1f} s; recall@1 {100 * row['recall1']:.1f}, recall@5 "
          f"{100 * row['recall5']:.1f}, mAP {100 * row['map']:.1f}; query "
          f"{row['latency_ms']:.1f} ms; index {row['mib_per_hour']:.1f} MiB per hour of video")
    return row


if __name__ == '__main__':
    main()
