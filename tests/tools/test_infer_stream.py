"""tools/infer.py --stream: a generated file played as a stream, with a frame limit."""
import json
import os
import sys

import decord
import numpy as np
import pytest

from vtd_mm.demo.dataset import write_mp4
from vtd_mm.demo.world import video_frames

from ..paths import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import infer  # noqa: E402

DEMO_CFG = os.path.join(ROOT, 'configs', 'demo', 'vtd_demo_full.py')
WORDS = 'red circle,blue square,green triangle,yellow star'


@pytest.fixture(scope='module')
def played(tmp_path_factory):
    """4 s of a red circle, then 4 s of a blue square, 8 fps."""
    rng = np.random.default_rng(4)
    frames = list(video_frames('red circle', rng, 32)) + list(video_frames('blue square', rng, 32))
    path = str(tmp_path_factory.mktemp('stream') / 'camera.mp4')
    write_mp4(path, frames, fps=8)
    return path


def test_stream_of_a_file(played, tmp_path, capsys):
    out_dir = tmp_path / 'out'
    results = infer.main([DEMO_CFG, '--stream', played, '--labels', WORDS, '--top-k', '2',
                          '--max-frames', '60', '--out-dir', str(out_dir), '--mp4'])
    # 4 frames per second read (every 2nd), a window of 8 scored every 4
    assert [r['frame'] for r in results] == list(range(14, 60, 8))
    assert all(len(r['tokens']) == len(r['frame_times']) == 8 for r in results)
    assert np.all(np.diff([r['time'] for r in results]) == 1.0)
    assert results[0]['top_k'][0][0] == 'red circle'
    assert results[-1]['top_k'][0][0] == 'blue square' and results[-1]['tokens'][-1] == \
        'blue square'
    logged = [json.loads(line) for line in (out_dir / 'stream.jsonl').read_text().splitlines()]
    assert logged == json.loads(json.dumps(results))
    assert len(decord.VideoReader(str(out_dir / 'stream.mp4'))) == 60  # every frame read, drawn
    assert sorted(os.listdir(out_dir)) == ['stream.jsonl', 'stream.mp4']  # no temporary left
    printed = capsys.readouterr().out.splitlines()
    assert sum(' s  ' in line and '| frames: ' in line for line in printed) == len(results)


def test_stream_errors(played, tmp_path):
    with pytest.raises(RuntimeError, match='cannot open the stream'):
        infer.main([DEMO_CFG, '--stream', str(tmp_path / 'nothing.mp4'), '--labels', WORDS])
    with pytest.raises(SystemExit):
        infer.main([DEMO_CFG, played, '--stream', played, '--labels', WORDS])
    with pytest.raises(SystemExit):
        infer.main([DEMO_CFG, '--stream', played, '--labels', WORDS, '--max-frames', '0'])
