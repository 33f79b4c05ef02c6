"""tools/infer.py and vtd_mm.apis.recognize on a user's own videos (320x240 mp4 / avi)."""
import json
import os
import shutil
import subprocess
import sys

import decord
import matplotlib.image
import pytest
import torch

from vtd_mm.demo.dataset import write_mp4

from ..apis.test_entry_points import DEMO_CFG, checkpoints, videos  # noqa: F401  (fixtures)
from ..paths import ROOT  # noqa: E402
from ..videos import square_video, with_frame_durations, with_rotation_tag

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import infer  # noqa: E402

WORDS = 'red circle,blue square,green star,yellow triangle'


def test_zero_shot_with_typed_words(videos, tmp_path, monkeypatch):  # noqa: F811
    root, paths = videos
    monkeypatch.chdir(tmp_path)
    out = tmp_path / 'out'
    results = infer.main([DEMO_CFG, str(root), '--labels', WORDS, '--top-k', '3',
                          '--out-dir', str(out), '--mp4'])
    saved = json.loads((out / 'results.json').read_text())
    assert saved['checkpoint'] is None and len(saved['results']) == 2
    assert [r['video'] for r in saved['results']] == sorted(paths)   # the folder's videos
    for r in saved['results']:
        assert len(r['top_k']) == 3 and r['label_set'] == 4
        assert {c['name'] for c in r['top_k']} <= set(WORDS.split(','))
        assert r['top_k'][0]['score'] >= r['top_k'][1]['score'] >= r['top_k'][2]['score']
        frames = r['views'][0]['frames']
        assert len(frames) == 8                                    # the config's clip
        assert all(0 <= f['index'] < 64 for f in frames)
        assert all(abs(f['time'] - f['index'] / 25) < 1e-3 for f in frames)
        assert all(f['token'] in WORDS.split(',') for f in frames)
        picture = matplotlib.image.imread(r['png'])
        assert picture.shape[1] > 4 * picture.shape[0]             # a strip of 8 frames
        assert len(decord.VideoReader(r['mp4'])) == 64
    assert saved['results'] == json.loads(json.dumps(results))
    # the same --out-dir again: refused before the model runs, the files intact
    before = (out / 'results.json').read_bytes()
    with pytest.raises(SystemExit, match=r'5 of the outputs exist in .*results.json.*'
                                         '--overwrite to replace them'):
        infer.main([DEMO_CFG, str(root), '--labels', WORDS, '--out-dir', str(out), '--mp4'])
    assert (out / 'results.json').read_bytes() == before
    infer.main([DEMO_CFG, str(root), '--labels', 'red circle,blue square', '--out-dir', str(out),
                '--overwrite'])
    assert json.loads((out / 'results.json').read_text())['results'][0]['label_set'] == 2
    assert not [f for f in os.listdir(out) if '.part' in f]


def test_api_matches_inference_recognizer_and_restores_labels(videos, checkpoints):  # noqa: F811
    from mmaction.apis import inference_recognizer

    from vtd_mm.apis import init_recognizer, recognize
    _, paths = videos
    small, _ = checkpoints
    model = init_recognizer(DEMO_CFG, small)
    own = list(model.cls_head.class_names)
    results = recognize(model, paths, top_k=24)
    assert model.cls_head.class_names == own
    for path, r in zip(paths, results):
        scores = inference_recognizer(model, path).pred_score
        assert [c['name'] for c in r['top_k']] == [own[int(i)] for i in scores.argsort(
            descending=True)]
        torch.testing.assert_close(torch.tensor([c['score'] for c in r['top_k']]),
                                   scores.sort(descending=True).values, atol=1e-6, rtol=0)
    other = recognize(model, paths[:1], labels=WORDS, top_k=2, views=3)
    assert model.cls_head.class_names == own                       # restored
    assert len(other[0]['views']) == 3 and other[0]['label_set'] == 4
    assert {v['clip'] for v in other[0]['views']} == {0, 1, 2}
    with torch.no_grad():                       # weights that give NaN scores
        model.cls_head.logit_scale.fill_(float('nan'))
    with pytest.raises(FloatingPointError, match=f'{paths[0]}: the model gives NaN'):
        recognize(model, paths[:1])


def test_clear_errors(videos, checkpoints, tmp_path):  # noqa: F811
    root, paths = videos
    with pytest.raises(SystemExit, match='give the class names'):
        infer.main([DEMO_CFG, paths[0]])
    with pytest.raises(FileNotFoundError, match='nope.mp4'):
        infer.main([DEMO_CFG, str(root / 'nope.mp4'), '--labels', WORDS])
    for labels, error in (('dive', 'at least 2 classes'), ('labels/mine.txt', 'not found'),
                          ('labels/mine', 'not found')):
        with pytest.raises((ValueError, FileNotFoundError), match=error):
            infer.main([DEMO_CFG, paths[0], '--labels', labels])
    with pytest.raises(ValueError, match='identical text prompts'):
        infer.main([DEMO_CFG, checkpoints[0], paths[0], '--labels', 'dive,Dive'])


def test_real_frame_times_and_undecodable_videos_named(videos, tmp_path):  # noqa: F811
    """Frame times of a variable-frame-rate video are the decoder's presentation
    times; videos that cannot be decoded are named and skipped, the others written."""
    root, paths = videos
    folder = tmp_path / 'mine'
    folder.mkdir()
    shutil.copy(paths[0], folder / 'a good one.mp4')
    write_mp4(str(tmp_path / 'cfr.mp4'), square_video('red', 0, num_frames=40))
    with_frame_durations(str(tmp_path / 'cfr.mp4'), str(folder / 'vfr.mp4'),
                         [0.25] * 20 + [1.75] * 20)
    (folder / 'empty.mp4').write_bytes(b'')
    with_rotation_tag(str(tmp_path / 'cfr.mp4'), str(folder / 'rotated.mp4'))
    out = tmp_path / 'out'
    run = subprocess.run([sys.executable, 'tools/infer.py', DEMO_CFG, str(folder), '--labels',
                          WORDS, '--out-dir', str(out)], cwd=ROOT, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert run.returncode == 1, run.stderr[-3000:]
    assert (f'2 of 4 videos cannot be decoded and were skipped: {folder / "empty.mp4"}, '
            f'{folder / "rotated.mp4"}') in run.stderr
    results = {os.path.basename(r['video']): r
               for r in json.loads((out / 'results.json').read_text())['results']}
    assert results['empty.mp4']['error'] == 'cannot decode: DecordInit: empty file (0 bytes)'
    assert ('a decord 0.6 defect with files that carry a rotation tag'
            in results['rotated.mp4']['error'])
    assert 'ffmpeg -i IN' in results['rotated.mp4']['error']
    assert sorted(f for f in os.listdir(out) if f.endswith('.png')) == [
        '0000_a good one.png', '0003_vfr.png']
    reader = decord.VideoReader(str(folder / 'vfr.mp4'))
    frames = results['vfr.mp4']['views'][0]['frames']
    real = reader.get_frame_timestamp([f['index'] for f in frames])[:, 0]
    assert [f['time'] for f in frames] == [round(float(t), 3) for t in real]
    # index / average fps would be off by up to 0.75 frame durations x 20 frames (1.9 s at 8 fps)
    assert max(abs(f['index'] / reader.get_avg_fps() - t) for f, t in zip(frames, real)) > 1.0
