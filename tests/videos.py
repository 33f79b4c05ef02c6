"""Generated mp4 videos for tests: one coloured, moving square per class."""
import os
import struct

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


CONTAINERS = (b'moov', b'trak', b'mdia', b'minf', b'stbl')


def _boxes(data, start, end, path=()):
    """(path of box types, offset, size) of every box, depth first."""
    i = start
    while i < end:
        size, kind = struct.unpack('>I4s', data[i:i + 8])
        yield path + (kind, ), i, size
        if kind in CONTAINERS:
            yield from _boxes(data, i + 8, i + size, path + (kind, ))
        i += size


def with_frame_durations(src, dst, durations):
    """Copy the mp4 ``src`` (one video track at a constant frame rate, its
    index after the frames, as OpenCV writes it) to ``dst`` with frame ``i``
    lasting ``durations[i]`` times its frame duration: a video of variable
    frame rate."""
    data = bytearray(open(src, 'rb').read())
    boxes = list(_boxes(data, 0, len(data)))
    (_, stts, size), = [b for b in boxes if b[0][-1] == b'stts']
    entries, count, tick = struct.unpack('>III', data[stts + 12:stts + 24])
    assert entries == 1 and count == len(durations)
    deltas = [round(tick * d) for d in durations]
    assert all(delta == tick * d for delta, d in zip(deltas, durations))  # whole ticks
    assert [b[1] for b in boxes if b[0] == (b'mdat', )][0] < stts   # no chunk offsets move
    runs = []
    for delta in deltas:
        if runs and runs[-1][1] == delta:
            runs[-1][0] += 1
        else:
            runs.append([1, delta])
    body = struct.pack('>II', 0, len(runs)) + b''.join(struct.pack('>II', *r) for r in runs)
    new = struct.pack('>I4s', 8 + len(body), b'stts') + body
    grow = len(new) - size
    for path, offset, box_size in boxes:
        if offset < stts < offset + box_size and path[-1] in CONTAINERS:
            struct.pack_into('>I', data, offset, box_size + grow)
    data[stts:stts + size] = new
    open(dst, 'wb').write(bytes(data))


def with_rotation_tag(src, dst, degrees=90):
    """Copy the mp4 ``src`` with its track's display matrix turned by 90 or 270 degrees."""
    data = bytearray(open(src, 'rb').read())
    (_, tkhd, _), = [b for b in _boxes(data, 0, len(data)) if b[0][-1] == b'tkhd']
    assert data[tkhd + 8] == 0                      # version 0: 32-bit times
    one, w = 1 << 16, 1 << 30
    sign = 1 if degrees == 90 else -1
    struct.pack_into('>9i', data, tkhd + 48, 0, sign * one, 0, -sign * one, 0, 0, 0, 0, w)
    open(dst, 'wb').write(bytes(data))
