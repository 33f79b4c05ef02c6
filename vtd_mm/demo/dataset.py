"""Write the synthetic world to disk: mp4 clips, label files, MMAction2 lists."""
import json
import os
from typing import Dict, List, Sequence

import cv2
import numpy as np

from .world import base_novel_split, class_names, insert_irrelevant, video_frames, video_scene

VERSION = 4
# test conditions: name -> (list suffix, kind of irrelevant frame, share of the clip)
CONDITIONS = {
    'clean': ('', None, 0.0),
    'uninformative 25%': ('_uninformative25', 'uninformative', 0.25),
    'uninformative 50%': ('_uninformative50', 'uninformative', 0.5),
    'other class 25%': ('_other25', 'other', 0.25),
    'other class 50%': ('_other50', 'other', 0.5),
}
ORDER_OBJECTS = ('red circle', 'blue square')


def order_class_names() -> List[str]:
    return [f'{o} moving {d}' for o in ORDER_OBJECTS for d in ('left', 'right')]


def write_mp4(path: str, frames: Sequence[np.ndarray], fps: int = 8) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'OpenCV cannot write {path}')
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()


def _write_list(path, entries):
    with open(path, 'w') as f:
        f.write(''.join(f'{video} {label}\n' for video, label in entries))


def _write_names(path, names):
    with open(path, 'w') as f:
        f.write('\n'.join(names) + '\n')


def generate_world(root: str, seed: int = 0, per_class: Dict[str, int] = None,
                   num_frames: int = 16, size: int = 32, force: bool = False) -> dict:
    """Generate the world under ``root`` (skipped when it exists with the same settings).

    Files: ``videos/<split>/*.mp4``; label files ``classes_{all,base,novel,order}.txt``;
    lists ``{train,val,test}_{all,base,novel}.txt``; for every test condition
    of :data:`CONDITIONS` but the clean one, ``test_{all,base,novel}<suffix>.txt``
    (copies of the test clips with a share of their frames replaced by
    uninformative frames or by frames of another class's test clip); and
    ``{train,test}_order.txt``. Labels index the label file of the list's set.

    Returns:
        dict: the manifest (also written to ``world.json``).
    """
    per_class = dict(dict(train=10, val=3, test=8), **(per_class or {}))
    settings = dict(version=VERSION, seed=seed, per_class=per_class, num_frames=num_frames,
                    size=size)
    manifest_path = os.path.join(root, 'world.json')
    if not force and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        if manifest.get('settings') == settings:
            return manifest
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = class_names()
    base, novel = base_novel_split()
    sets = dict(all=names, base=base, novel=novel)
    for key, members in dict(sets, order=order_class_names()).items():
        _write_names(os.path.join(root, f'classes_{key}.txt'), members)
    lists = {}
    for split, count in per_class.items():
        folder = os.path.join(root, 'videos', split)
        os.makedirs(folder, exist_ok=True)
        scenes = {name: [video_scene(name, rng, num_frames, size) for _ in range(count)]
                  for name in names}
        conditions = list(CONDITIONS.values()) if split == 'test' else [CONDITIONS['clean']]
        files = {suffix: {name: [] for name in names} for suffix, _, _ in conditions}
        for name in names:
            others = [n for n in names if n != name]
            for i, (frames, empty) in enumerate(scenes[name]):
                stem = f'{split}/{name.replace(" ", "_")}_{i}'
                for suffix, kind, rate in conditions:
                    if kind is not None:
                        other = scenes[others[rng.integers(len(others))]][i][0]
                        clip = insert_irrelevant(frames, rate, rng, kind, empty, other)
                    else:
                        clip = frames
                    write_mp4(os.path.join(root, 'videos', f'{stem}{suffix}.mp4'), clip)
                    files[suffix][name].append(f'{stem}{suffix}.mp4')
        for key, members in sets.items():
            for suffix, by_name in files.items():
                lists[f'{split}_{key}{suffix}'] = [
                    (f, members.index(n)) for n in members for f in by_name[n]]
    order = order_class_names()
    for split in ('train', 'test'):
        os.makedirs(os.path.join(root, 'videos', 'order'), exist_ok=True)
        entries = []
        for label, name in enumerate(order):
            obj, direction = name.rsplit(' moving ', 1)
            for i in range(per_class[split]):
                file = f'order/{split}_{name.replace(" ", "_")}_{i}.mp4'
                write_mp4(os.path.join(root, 'videos', file),
                          video_frames(obj, rng, num_frames, size, direction=direction))
                entries.append((file, label))
        lists[f'{split}_order'] = entries
    for key, entries in lists.items():
        _write_list(os.path.join(root, f'{key}.txt'), entries)
    manifest = dict(settings=settings, lists={k: len(v) for k, v in lists.items()},
                    classes={k: len(v) for k, v in sets.items()})
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1)
    return manifest
