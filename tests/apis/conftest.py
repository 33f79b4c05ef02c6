"""Fixtures of the long-video tools: a generated long video with known
boundaries and the demo's frozen tiny CLIP."""
import os

import numpy as np
import pytest
from mmengine.config import Config

from vtd_mm.apis import frozen_clip_options, init_recognizer
from vtd_mm.demo.dataset import write_mp4
from vtd_mm.demo.long_video import long_video

from ..paths import ROOT

DEMO_CFG = os.path.join(ROOT, 'configs', 'demo', 'vtd_demo_full.py')
WORDS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'white circle']


@pytest.fixture(scope='module')
def long_clip(tmp_path_factory):
    """A 8 fps video: red circle, blue square, green triangle, each 4-8 s and
    followed by 1.5-3 s of blank or noise frames; and its true segments."""
    frames, truth = long_video(WORDS[:3], np.random.default_rng(1), fps=8, gap_s=(1.5, 3.0))
    path = str(tmp_path_factory.mktemp('long') / 'long.mp4')
    write_mp4(path, frames, fps=8)
    return path, truth, len(frames)


@pytest.fixture(scope='module')
def zero_shot_model():
    return init_recognizer(DEMO_CFG, cfg_options=frozen_clip_options(Config.fromfile(DEMO_CFG)))
