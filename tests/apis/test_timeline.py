"""Timelines of long videos: windows read as they are needed, segments from
frame scores, the boundaries found on a generated long video, the tool's files."""
import csv
import json
import os
import sys

import decord
import numpy as np
import pytest

from vtd_mm.apis import segments_from_scores, video_timeline
from vtd_mm.datasets import BrokenVideoError
from vtd_mm.datasets.video_windows import VideoWindows
from vtd_mm.evaluation.segmentation import frame_accuracy, runs, segment_f1

from ..paths import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import timeline as timeline_tool  # noqa: E402

from .conftest import DEMO_CFG, WORDS


def test_windows_cover_every_sampled_frame_once_decoded(long_clip):
    path, _, total = long_clip
    windows = VideoWindows(path, length=8, sample_fps=4, stride=3)
    reader = decord.VideoReader(path)
    assert len(windows.indices) == len(range(0, total, 2))     # 8 fps -> every 2nd frame
    seen = set()
    for n, w in enumerate(windows):
        assert w.frames.shape[0] == 8 and np.all(np.diff(w.times) > 0)
        assert np.array_equal(w.frames, reader.get_batch(w.indices.tolist()).asnumpy())
        seen.update(w.positions.tolist())
    assert n + 1 == len(windows) and seen == set(range(len(windows.indices)))
    assert w.positions[-1] == len(windows.indices) - 1          # the last window ends the video
    short = VideoWindows(path, length=len(windows.indices) + 5, sample_fps=4)
    (only, ) = list(short)                                      # shorter than a window
    assert only.positions[-1] == only.positions[-6] == len(windows.indices) - 1


def test_broken_video_is_named(tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'<html>not a video</html>')
    with pytest.raises(BrokenVideoError, match='bad.mp4'):
        VideoWindows(str(bad), length=8)


def test_segments_from_scores_follow_their_rules():
    names = ['a', 'b']
    starts = np.arange(10.0)
    ends = starts + 1
    a, b = [0.9, 0.1], [0.2, 0.8]
    scores = np.array([a, a, a, b, a, a, b, b, b, b])
    # no smoothing, no minimum: every run of the best class
    segs = segments_from_scores(scores, starts, ends, names)
    assert [(s['start'], s['end'], s['label']) for s in segs] == \
        [(0, 3, 'a'), (3, 4, 'b'), (4, 6, 'a'), (6, 10, 'b')]
    assert segs[0]['score'] == pytest.approx(0.9) and segs[1]['score'] == pytest.approx(0.8)
    # a minimum of 1.5 s: the 1 s run of b joins its longer neighbour (the 2 s a)
    segs = segments_from_scores(scores, starts, ends, names, min_segment=1.5)
    assert [(s['start'], s['end'], s['label']) for s in segs] == [(0, 6, 'a'), (6, 10, 'b')]
    # background from the similarity: frames 8, 9 match no name
    similarity = np.array([0.7] * 8 + [0.3, 0.3])
    segs = segments_from_scores(scores, starts, ends, names, background=0.5,
                                similarity=similarity)
    assert segs[-1]['label'] is None and (segs[-1]['start'], segs[-1]['end']) == (8, 10)
    # smoothing over 3 frames: the isolated b at frame 3 is outvoted
    segs = segments_from_scores(scores, starts, ends, names, smooth=3)
    assert [s['label'] for s in segs] == ['a', 'b']


def test_segment_metrics_by_hand():
    truth = [dict(start=0, end=4, label='a'), dict(start=4, end=6, label=None),
             dict(start=6, end=10, label='b')]
    pred = [dict(start=0, end=3, label='a'), dict(start=3, end=7, label='b'),
            dict(start=7, end=10, label='b')]
    # a: IoU 3/4; b: best 3/4 (7-10 vs 6-10), the other b (3-7: IoU 1/7) is a false positive
    assert segment_f1(pred, truth, 0.5) == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert segment_f1(pred, truth, 0.8) == 0.0
    labels_true = ['a'] * 4 + [None] * 2 + ['b'] * 4
    labels_pred = ['a'] * 3 + ['b'] * 7
    assert frame_accuracy(labels_pred, labels_true) == pytest.approx(7 / 10)
    assert [s['label'] for s in runs(labels_pred, range(10), range(1, 11))] == ['a', 'b']


def test_timeline_finds_the_boundaries_of_a_long_video(long_clip, zero_shot_model):
    """Zero-shot with the shipped tiny CLIP: the three classes in order, each
    segment's ends within 0.75 s (3 sampled frames at 4 fps) of the truth, the
    gaps as "none of these"."""
    path, truth, _ = long_clip
    out = video_timeline(zero_shot_model, path, ','.join(WORDS), sample_fps=4, background=0.5)
    found = [s for s in out['segments'] if s['label'] is not None]
    expected = [t for t in truth if t['label'] is not None]
    assert [s['label'] for s in found] == [t['label'] for t in expected], out['segments']
    for s, t in zip(found, expected):
        assert abs(s['start'] - t['start']) <= 0.75 and abs(s['end'] - t['end']) <= 0.75, (s, t)
    assert sum(s['label'] is None for s in out['segments']) == 3
    assert segment_f1(out['segments'], truth, 0.5) == 1.0
    assert out['frames'][0]['time'] == 0 and out['duration'] == pytest.approx(truth[-1]['end'])
    # the model's own label set is back
    assert zero_shot_model.cls_head.class_names != WORDS


def test_timeline_tool_writes_json_csv_png_mp4(long_clip, tmp_path, capsys):
    path, _, total = long_clip
    out_dir = tmp_path / 'out'
    args = [DEMO_CFG, path, '--labels', ','.join(WORDS), '--sample-fps', '4',
            '--background', '0.5', '--out-dir', str(out_dir), '--mp4']
    (result, ) = timeline_tool.main(args)
    assert sorted(os.listdir(out_dir)) == ['0000_long.csv', '0000_long.json', '0000_long.mp4',
                                           '0000_long.png']
    assert len(decord.VideoReader(str(out_dir / '0000_long.mp4'))) == total
    assert json.loads((out_dir / '0000_long.json').read_text())['segments'] == result['segments']
    with open(out_dir / '0000_long.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['label'] or None for r in rows] == [s['label'] for s in result['segments']]
    assert 'none of these' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='exist'):  # nothing written over
        timeline_tool.main(args)
    with pytest.raises(SystemExit):
        timeline_tool.main(args[:-2] + ['--smooth', '0', '--out-dir', str(tmp_path / 'x')])
