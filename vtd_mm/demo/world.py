"""A small synthetic video world, deterministic from a seed.

Objects have a colour and a shape; a class is a colour-shape pair named in
words ("red circle"). Two domains:

* **clean frames** (for pretraining a tiny CLIP): one object on a dark, lightly
  noisy background, with a caption naming colour, shape, size and position;
* **videos** (for the video tasks): the object moves over a textured
  background (stripes, checks, gradients) under changing light, with grey
  distractor shapes, sensor noise and blur. The frozen model's zero-shot
  accuracy drops under this shift.

Novel classes are unseen colour-shape combinations of seen words. Test copies
carry irrelevant frames of two kinds kept apart: uninformative ones (blank,
noise, or the scene without its object) and frames of another class's clip;
an order-dependent subset ("... moving left" / "... moving right") shows what
an order-invariant aggregation cannot learn.
"""
import math
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

COLOURS: Dict[str, Tuple[int, int, int]] = {  # RGB
    'red': (225, 35, 35), 'green': (40, 190, 60), 'blue': (45, 85, 235),
    'yellow': (235, 215, 40), 'purple': (155, 55, 205), 'white': (238, 238, 238)}
SHAPES = ('circle', 'square', 'triangle', 'star')
SIZES = {'small': 0.22, 'large': 0.36}  # object size relative to the frame
POSITIONS = {'top left': (0.3, 0.3), 'top right': (0.7, 0.3), 'bottom left': (0.3, 0.7),
             'bottom right': (0.7, 0.7), 'centre': (0.5, 0.5)}
DISTRACTOR_COLOURS = ((120, 120, 120), (95, 80, 60), (150, 140, 125), (70, 70, 80))
# the video domain's shift: backgrounds of BACKGROUND grey levels with a
# texture of +-TEXTURE levels, light from LIGHT[0] to LIGHT[1] times, a colour
# tint of +-TINT per channel, sensor noise of NOISE grey levels
BACKGROUND = (8, 40)
TEXTURE = 10
DISTRACTORS = (0, 2)  # how many: from, to (exclusive)
LIGHT = (0.9, 1.1)
TINT = 0.08
NOISE = 5.0
# an object centre stays INSIDE radii from the border (below 1: partly cut off)
INSIDE = 1.0

CAPTION_TEMPLATES = (
    'a {colour} {shape}.', 'a photo of a {colour} {shape}.', 'a {size} {colour} {shape}.',
    'a {colour} {shape} in the {position}.', 'the {colour} {shape}.',
    'a picture of a {size} {colour} {shape}.', 'a {colour} {shape} on a dark background.',
    'there is a {colour} {shape}.', 'a {size} {shape} that is {colour}.',
    'a {shape}, coloured {colour}.', 'one {colour} {shape} at the {position}.',
    '{colour} {shape}.', 'a drawing of a {colour} {shape}.', 'a {colour} {shape}, {size}.',
    'an image with a {colour} {shape}.', 'a {size} {colour} {shape} in the {position}.')


def class_names() -> List[str]:
    """All colour-shape classes, colour-major: 'red circle', 'red square', ..."""
    return [f'{c} {s}' for c in COLOURS for s in SHAPES]


def is_novel(name: str) -> bool:
    """Novel classes: every third colour-shape combination, so that each colour
    and each shape is seen in the base classes with other partners."""
    colour, shape = name.split(' ')
    return (list(COLOURS).index(colour) + SHAPES.index(shape)) % 3 == 0


def base_novel_split() -> Tuple[List[str], List[str]]:
    names = class_names()
    return [n for n in names if not is_novel(n)], [n for n in names if is_novel(n)]


def _shape_points(shape: str, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    if shape == 'square':
        k = [math.pi / 4 + i * math.pi / 2 for i in range(4)]
        pts = [(r * math.cos(a + angle), r * math.sin(a + angle)) for a in k]
    elif shape == 'triangle':
        pts = [(r * math.cos(a + angle), r * math.sin(a + angle))
               for a in (-math.pi / 2 + i * 2 * math.pi / 3 for i in range(3))]
    elif shape == 'star':
        pts = []
        for i in range(10):
            rad = r if i % 2 == 0 else r * 0.45
            a = -math.pi / 2 + i * math.pi / 5 + angle
            pts.append((rad * math.cos(a), rad * math.sin(a)))
    else:
        raise ValueError(shape)
    return np.array([(cx + x, cy + y) for x, y in pts])


def draw_shape(img: np.ndarray, shape: str, colour, cx: float, cy: float, r: float,
               angle: float = 0.0) -> None:
    """Draw a filled shape (anti-aliased, at 4x sub-pixel precision) in place."""
    colour = tuple(int(c) for c in colour)
    shift = 2
    if shape == 'circle':
        cv2.circle(img, (int(cx * 4), int(cy * 4)), max(int(r * 4), 1), colour, -1,
                   cv2.LINE_AA, shift)
    else:
        pts = np.round(_shape_points(shape, cx, cy, r, angle) * 4).astype(np.int32)
        cv2.fillPoly(img, [pts], colour, cv2.LINE_AA, shift)


def clean_frame(rng: np.random.Generator, size: int = 32):
    """One pretraining frame and its caption; returns (RGB uint8 [H, W, 3], caption, class)."""
    colour, shape = rng.choice(list(COLOURS)), rng.choice(SHAPES)
    size_word, position = rng.choice(list(SIZES)), rng.choice(list(POSITIONS))
    img = np.full((size, size, 3), rng.integers(5, 35), np.float32)
    img += rng.normal(0, 4, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    px, py = POSITIONS[position]
    r = SIZES[size_word] * size / 2 * rng.uniform(0.9, 1.1)
    cx = px * size + rng.uniform(-0.06, 0.06) * size
    cy = py * size + rng.uniform(-0.06, 0.06) * size
    draw_shape(img, shape, COLOURS[colour], cx, cy, r, rng.uniform(0, 2 * math.pi))
    template = CAPTION_TEMPLATES[rng.integers(len(CAPTION_TEMPLATES))]
    caption = template.format(colour=colour, shape=shape, size=size_word, position=position)
    return img, caption, f'{colour} {shape}'


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    kind = rng.integers(3)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    a = rng.uniform(*BACKGROUND, 3)
    b = np.clip(a + rng.uniform(-TEXTURE, TEXTURE, 3), 0, 255)  # low-contrast texture
    if kind == 0:  # stripes at a random angle
        theta = rng.uniform(0, math.pi)
        period = rng.uniform(4, 10)
        t = (np.sin((xx * math.cos(theta) + yy * math.sin(theta)) * 2 * math.pi / period) > 0)
    elif kind == 1:  # checks
        cell = rng.integers(3, 8)
        t = ((xx // cell + yy // cell) % 2) > 0
    else:  # gradient
        t = (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1)) / size + 0.5
        t = np.clip(t, 0, 1)
    t = t.astype(np.float32)[..., None]
    return a * t + b * (1 - t)


def video_scene(name: str, rng: np.random.Generator, num_frames: int = 16, size: int = 32,
                direction: Optional[str] = None) -> Tuple[List[np.ndarray], List[np.ndarray]]:
    """A clip of the class ``name`` ('red circle') under the video domain's shift,
    and the same scene without the object (background, distractors, light,
    noise: an uninformative frame of this very video).

    ``direction`` ('left' / 'right') makes the object cross the frame that way.
    Returns two lists of RGB uint8 frames [H, W, 3].
    """
    colour, shape = name.split(' ')[:2]
    bg = _background(rng, size)
    # the object keeps the scale of the pretraining frames; the shift is in the
    # background, light, distractors, noise and blur
    r = rng.uniform(0.9, 1.1) * SIZES[rng.choice(list(SIZES))] * size / 2
    if direction is None:
        x0, y0 = rng.uniform(0.3, 0.7, 2) * size
        vx, vy = rng.uniform(-0.8, 0.8, 2)
    else:
        sign = -1 if direction == 'left' else 1
        x0, y0 = (0.5 - sign * 0.3) * size, rng.uniform(0.35, 0.65) * size
        vx, vy = sign * 0.6 * size / num_frames, rng.uniform(-0.2, 0.2)
    distractors = [(rng.choice(SHAPES), DISTRACTOR_COLOURS[rng.integers(len(DISTRACTOR_COLOURS))],
                    rng.uniform(0.1, 0.9, 2) * size, rng.uniform(2, 4), rng.uniform(-0.6, 0.6, 2))
                   for _ in range(rng.integers(*DISTRACTORS))]
    light0, light1 = rng.uniform(*LIGHT, 2)
    tint = rng.uniform(1 - TINT, 1 + TINT, 3)
    angle, spin = rng.uniform(0, 2 * math.pi), rng.uniform(-0.2, 0.2)
    frames, empty = [], []
    for t in range(num_frames):
        scene = bg.copy()
        for d_shape, d_col, (dx, dy), d_r, (dvx, dvy) in distractors:
            draw_shape(scene, d_shape, d_col, dx + dvx * t, dy + dvy * t, d_r)
        img = scene.copy()
        cx, cy = x0 + vx * t, y0 + vy * t
        if direction is None:
            low, high = r * INSIDE, size - r * INSIDE
            cx, cy = np.clip(cx, low, high), np.clip(cy, low, high)
        draw_shape(img, shape, COLOURS[colour], cx, cy, r, angle + spin * t)
        light = light0 + (light1 - light0) * t / max(num_frames - 1, 1)
        blur = rng.random() < 0.15
        for out, im in ((frames, img), (empty, scene)):
            im = im * light * tint + rng.normal(0, NOISE, im.shape)
            if blur:
                im = cv2.GaussianBlur(im, (3, 3), 0)
            out.append(np.clip(im, 0, 255).astype(np.uint8))
    return frames, empty


def video_frames(name: str, rng: np.random.Generator, num_frames: int = 16, size: int = 32,
                 direction: Optional[str] = None) -> List[np.ndarray]:
    """The clip of :func:`video_scene` alone."""
    return video_scene(name, rng, num_frames, size, direction)[0]


UNINFORMATIVE = ('blank', 'noise', 'empty scene')


def uninformative_frames(rng: np.random.Generator, empty: List[np.ndarray],
                         span: range) -> List[np.ndarray]:
    """Frames about no class for the places ``span``: one blank frame or one
    noise frame held over the run, or the video's own scene without its object
    (``empty``, frame by frame)."""
    kind = UNINFORMATIVE[rng.integers(len(UNINFORMATIVE))]
    size = empty[0].shape[0]
    if kind == 'blank':
        return [np.full((size, size, 3), rng.integers(0, 256), np.uint8)] * len(span)
    if kind == 'noise':
        return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8)] * len(span)
    return [empty[t] for t in span]


def insert_irrelevant(frames: List[np.ndarray], rate: float, rng: np.random.Generator,
                      kind: str = 'uninformative', empty: Optional[List[np.ndarray]] = None,
                      other: Optional[List[np.ndarray]] = None, slots: int = 8
                      ) -> List[np.ndarray]:
    """Replace a ``rate`` share of the clip by irrelevant frames.

    The clip is cut into ``slots`` runs of consecutive frames (8 runs of 2 for
    16 frames: one per frame that an 8-frame test sampling takes), and
    ``round(rate * slots)`` runs, at random places, are replaced whole, so a
    sampled clip has exactly that share of irrelevant frames.

    Args:
        kind: ``'uninformative'`` (each run a blank frame, noise or the empty
            scene, see :func:`uninformative_frames`) or ``'other'`` (the frames
            at the same places of ``other``, a clip of another class: a cut to
            another scene).
        empty: the clip's scene without its object (``kind='uninformative'``).
        other: a clip of another class (``kind='other'``).
    """
    frames = list(frames)
    run = len(frames) // slots
    if run * slots != len(frames):
        raise ValueError(f'{len(frames)} frames cannot be cut into {slots} runs')
    for slot in rng.choice(slots, size=int(round(rate * slots)), replace=False):
        span = range(slot * run, (slot + 1) * run)
        if kind == 'other':
            replacement = [other[t] for t in span]
        elif kind == 'uninformative':
            replacement = uninformative_frames(rng, empty, span)
        else:
            raise ValueError(f'unknown kind of irrelevant frame: {kind!r}')
        for t, frame in zip(span, replacement):
            frames[t] = frame.copy()
    return frames
