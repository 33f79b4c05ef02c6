"""Memory and time of a timeline against the length of the video.

    python tools/analysis/benchmark_timeline.py [--minutes 10 60] [--size 320x240]
        [--fps 25] [--sample-fps 2] [--folder work_dirs/benchmark_timeline]

Writes (once) a long video of demo-world segments and gaps for each length,
then runs tools/timeline.py's path (vtd_mm.apis.video_timeline, zero-shot with
the demo's tiny CLIP) on it in a fresh process per length, and prints the
process's peak resident memory, its memory once the model is built, the
wall time and the seconds of video per second.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time

import cv2
import numpy as np

from vtd_mm.demo.long_video import long_video

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CHILD = r'''
import json, resource, sys, time
from mmengine.config import Config
from vtd_mm.apis import frozen_clip_options, init_recognizer, video_timeline
cfg = sys.argv[1]
model = init_recognizer(cfg, cfg_options=frozen_clip_options(Config.fromfile(cfg)))
built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.time()
out = video_timeline(model, sys.argv[2], 'red circle,blue square,green triangle,yellow star',
                     sample_fps=float(sys.argv[3]), background=0.5)
print(json.dumps(dict(seconds=time.time() - t, built_kib=built, duration=out['duration'],
                      segments=len(out['segments']), frames=len(out['frames']))))
'''


def write_long_video(path, minutes, size, fps):
    """A video of ``minutes`` of demo-world segments and gaps, frames scaled to ``size``."""
    w, h = size
    writer = cv2.VideoWriter(path + '.part.mp4', cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    rng = np.random.default_rng(0)
    names = ['red circle', 'blue square', 'green triangle', 'yellow star']
    written, total = 0, int(minutes * 60 * fps)
    while written < total:
        frames, _ = long_video(names, rng, fps=fps, segment_s=(20, 60), gap_s=(5, 20))
        for frame in frames[:total - written]:
            writer.write(cv2.cvtColor(cv2.resize(frame, (w, h), interpolation=cv2.INTER_NEAREST),
                                      cv2.COLOR_RGB2BGR))
        written += min(len(frames), total - written)
    writer.release()
    os.replace(path + '.part.mp4', path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--minutes', type=float, nargs='+', default=[10, 60])
    p.add_argument('--size', default='320x240')
    p.add_argument('--fps', type=int, default=25)
    p.add_argument('--sample-fps', type=float, default=2.0)
    p.add_argument('--folder', default='work_dirs/benchmark_timeline')
    args = p.parse_args(argv)
    size = tuple(int(v) for v in args.size.split('x'))
    os.makedirs(args.folder, exist_ok=True)
    cfg = osp.join(ROOT, 'configs', 'demo', 'vtd_demo_full.py')
    rows = []
    for minutes in args.minutes:
        path = osp.join(args.folder, f'long_{minutes:g}min_{args.size}_{args.fps}fps.mp4')
        if not osp.exists(path):
            t = time.time()
            write_long_video(path, minutes, size, args.fps)
            print(f'wrote {path} ({osp.getsize(path) / 2**20:.0f} MiB) in {time.time() - t:.0f} s',
                  flush=True)
        proc = subprocess.Popen([sys.executable, '-c', CHILD, cfg, path, str(args.sample_fps)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status:
            raise SystemExit(f'the timeline of {path} failed (status {status})')
        result = json.loads(out.strip().splitlines()[-1])
        row = dict(minutes=minutes, peak_mib=usage.ru_maxrss / 1024,
                   model_mib=result['built_kib'] / 1024, **result)
        rows.append(row)
        print(f"{minutes:g} min {args.size} @ {args.fps} fps: peak RSS {row['peak_mib']:.0f} MiB "
              f"(model built: {row['model_mib']:.0f} MiB), {row['seconds']:.0f} s "
              f"({row['duration'] / row['seconds']:.0f} s of video per s), "
              f"{row['frames']} sampled frames, {row['segments']} segments", flush=True)
    return rows


if __name__ == '__main__':
    main()
