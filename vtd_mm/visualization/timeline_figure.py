"""A picture of a video's timeline: thumbnails over time and a band of the
segments' labels."""
import os.path as osp
from typing import Dict, Optional

import numpy as np

from .frame_strips import read_frames, write_video_with_lines


def draw_timeline(timeline: Dict, path: str, thumbnails: int = 8,
                  truth: Optional[list] = None) -> str:
    """PNG of ``timeline`` (:func:`vtd_mm.apis.video_timeline`): ``thumbnails``
    frames evenly over the video, under them a band per segment (its label,
    background in grey) and, when given, a band of the true segments."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    frames = timeline['frames']
    picks = np.linspace(0, len(frames) - 1, min(thumbnails, len(frames))).round().astype(int)
    images = read_frames(timeline['video'], [frames[i]['index'] for i in picks])
    names = timeline['label_set']
    # tab20 without its two greys: background is drawn hatched
    palette = [c for i, c in enumerate(plt.get_cmap('tab20').colors) if i not in (14, 15)]
    rows = 3 if truth is not None else 2
    fig = plt.figure(figsize=(max(8.0, 1.2 * len(picks)), 1.6 + 0.5 * rows))
    grid = fig.add_gridspec(rows, len(picks), height_ratios=[3] + [1] * (rows - 1))
    for col, (i, image) in enumerate(zip(picks, images)):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(image, interpolation='nearest')
        ax.set_title(f"{frames[i]['time']:.1f} s\n{frames[i]['token']}", fontsize=7)
        ax.axis('off')
    bands = [('timeline', timeline['segments'])] + ([('truth', truth)] if truth else [])
    for row, (what, segments) in enumerate(bands, start=1):
        ax = fig.add_subplot(grid[row, :])
        for s in segments:
            label = s['label']
            if label is None:
                style = dict(color='white', hatch='///', edgecolor=(0.6, 0.6, 0.6))
            else:
                index = names.index(label) if label in names else len(palette) - 1
                style = dict(color=palette[index % len(palette)], edgecolor='white')
            ax.barh(0, s['end'] - s['start'], left=s['start'], **style)
            if s['end'] - s['start'] > 0.06 * timeline['duration']:  # room for the words
                ax.text((s['start'] + s['end']) / 2, 0, '-' if label is None else label,
                        ha='center', va='center', fontsize=7)
        ax.set_xlim(0, timeline['duration'])
        ax.set_yticks([0], [what], fontsize=7)
        ax.tick_params(axis='x', labelsize=7)
    ax.set_xlabel('seconds', fontsize=7)
    fig.suptitle(osp.basename(timeline['video']), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_timeline_video(timeline: Dict, path: str, max_width: int = 480) -> str:
    """MP4 of the whole video with, on every frame, the segment it falls in
    (its label and score, or *none of these*) and the token of the nearest
    sampled frame."""
    segments, frames = timeline['segments'], timeline['frames']
    times = np.array([f['time'] for f in frames])

    def lines_at(_, t):
        seg = next((s for s in segments if s['start'] <= t < s['end']), segments[-1])
        label = seg['label'] or 'none of these'
        token = frames[int(np.abs(times - t).argmin())]['token']
        return [f"{label} ({seg['start']:.1f}-{seg['end']:.1f} s)", f'frame reads: {token}']
    return write_video_with_lines(timeline['video'], path, lines_at, max_width)
