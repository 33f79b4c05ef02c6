"""Generated mp4 videos for tests: one coloured, moving square per class."""
import os

import numpy as np

from vtd_mm.demo.dataset import write_mp4

COLOURS = {'red': (230, 0, 0), 'green': (0, 200, 0), 'blue': (0, 0, 230),  # RGB
           'yellow': (220, 220, 0), 'white': (240, 240, 240)}


def square_video(colour, seed, num_frames=12, size=(48, 64)):
    rng = np.random.default_rng(seed)
    h, w = size
    frames = []
    x, y = rng.integers(0, w - 14), rng.integers(0, h - 14)
    dx, dy = rng.choice([-2, 2]), rng.choice([-1, 1])
    for _ in range(num_frames):
        frame = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        frame[y:y + 14, x:x + 14] = COLOURS[colour]
        frames.append(frame)
        x, y = int(np.clip(x + dx, 0, w - 14)), int(np.clip(y + dy, 0, h - 14))
    return frames


def make_dataset(root, classes=('red', 'green', 'blue'), per_class=4, num_frames=12,
                 size=(48, 64), splits=('train', 'val')):
    """Write videos and MMAction2 "path label" lists; returns {split: list file}."""
    os.makedirs(os.path.join(root, 'videos'), exist_ok=True)
    lists = {}
    for s, split in enumerate(splits):
        lines = []
        for label, colour in enumerate(classes):
            for i in range(per_class):
                name = f'{split}_{colour}_{i}.mp4'
                write_mp4(os.path.join(root, 'videos', name),
                          square_video(colour, seed=1000 * s + 10 * label + i,
                                       num_frames=num_frames, size=size))
                lines.append(f'{name} {label}')
        lists[split] = os.path.join(root, f'{split}_list.txt')
        with open(lists[split], 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return lists
