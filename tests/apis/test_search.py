"""Search over a folder of videos: hits, incremental updates, damaged indexes
and indexes of another model refused, the tool."""
import os
import shutil
import sys

import numpy as np
import pytest
import torch

from vtd_mm.apis.search import SearchIndexError, VideoSearchIndex, query_embedding
from vtd_mm.demo.dataset import write_mp4
from vtd_mm.demo.world import video_frames

from ..paths import ROOT
from .conftest import DEMO_CFG

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import search as search_tool  # noqa: E402

CLASSES = ('red circle', 'blue square', 'green triangle')


def write_class_video(path, name, seed, seconds=4):
    write_mp4(str(path), list(video_frames(name, np.random.default_rng(seed),
                                           num_frames=8 * seconds, size=32)), fps=8)


@pytest.fixture
def folder(tmp_path):
    videos = tmp_path / 'videos'
    videos.mkdir()
    for n, name in enumerate(CLASSES):
        write_class_video(videos / f"{name.replace(' ', '_')}.mp4", name, n)
    return videos


def build(folder, model, out):
    store = VideoSearchIndex.create(str(out), model, DEMO_CFG, None, sample_fps=4, stride=None)
    videos = sorted(str(p) for p in folder.iterdir())
    done = store.update(model, videos)
    store.save()
    return store, done


def test_words_find_their_video(folder, zero_shot_model, tmp_path):
    store, done = build(folder, zero_shot_model, tmp_path / 'index')
    assert len(done['added']) == 3 and store.vectors.ntotal == 3 * 2  # 16 frames: 2 clips each
    reopened = VideoSearchIndex.open(str(tmp_path / 'index'))
    for name in CLASSES:
        hits = reopened.search(query_embedding(zero_shot_model, name), top_k=2)
        assert [os.path.basename(h['video']) for h in hits] == \
            [f"{name.replace(' ', '_')}.mp4"] * 2, (name, hits)
        assert hits[0]['score'] >= hits[1]['score'] and hits[0]['end'] > hits[0]['start']
    # the scores are the cosine similarities of the stored unit vectors (reported
    # to 4 decimals: 5e-5, plus fp32 rounding of a 64-long dot product, < 1e-5)
    q = query_embedding(zero_shot_model, CLASSES[0])
    stored = reopened.vectors.reconstruct(0)
    assert abs(np.linalg.norm(stored) - 1) < 1e-5
    assert reopened.search(q, 6)[-1]['score'] == pytest.approx(
        min(float(reopened.vectors.reconstruct(i) @ q) for i in range(6)), abs=6e-5)


def test_update_adds_changed_and_drops_deleted(folder, zero_shot_model, tmp_path):
    store, _ = build(folder, zero_shot_model, tmp_path / 'index')
    write_class_video(folder / 'yellow_star.mp4', 'yellow star', 7)
    write_class_video(folder / 'red_circle.mp4', 'red circle', 9, seconds=6)  # changed: longer
    os.remove(folder / 'green_triangle.mp4')
    store = VideoSearchIndex.open(str(tmp_path / 'index'))
    done = store.update(zero_shot_model, sorted(str(p) for p in folder.iterdir()))
    store.save()
    names = {k: [os.path.basename(p) for p in v] for k, v in done.items() if k != 'skipped'}
    assert names == dict(added=['yellow_star.mp4'], updated=['red_circle.mp4'],
                         unchanged=['blue_square.mp4'], dropped=['green_triangle.mp4'])
    store = VideoSearchIndex.open(str(tmp_path / 'index'))
    assert store.vectors.ntotal == 3 + 2 + 2  # 24 frames of the new red circle: 3 clips
    hits = store.search(query_embedding(zero_shot_model, 'green triangle'), 7)
    assert not any('green_triangle' in h['video'] for h in hits)


def test_damaged_or_foreign_indexes_are_refused(folder, zero_shot_model, tmp_path):
    index = tmp_path / 'index'
    build(folder, zero_shot_model, index)
    for damage, message in (
            (lambda: (index / 'clips.faiss').write_bytes(
                (index / 'clips.faiss').read_bytes()[:100]), 'missing or damaged'),
            (lambda: (index / 'meta.json').write_text('{"format": 1, "vid'), 'damaged'),
            (lambda: os.remove(index / 'meta.json'), 'not a video search index')):
        shutil.rmtree(index)
        build(folder, zero_shot_model, index)
        damage()
        with pytest.raises(SearchIndexError, match=message):
            VideoSearchIndex.open(str(index))
    shutil.rmtree(index)
    build(folder, zero_shot_model, index)
    other = VideoSearchIndex.open(str(index))
    with torch.no_grad():
        zero_shot_model.cls_head.logit_scale.add_(0.5)  # another model: other weights
    try:
        with pytest.raises(SearchIndexError, match='another model'):
            other.check_model(zero_shot_model)
    finally:
        with torch.no_grad():
            zero_shot_model.cls_head.logit_scale.sub_(0.5)
    other.check_model(zero_shot_model)


def test_search_tool(folder, tmp_path, capsys):
    (folder / 'broken.mp4').write_bytes(b'no video here')
    index = str(tmp_path / 'index')
    done = search_tool.main(['index', DEMO_CFG, str(folder), '--out', index,
                             '--sample-fps', '4'])
    assert len(done['added']) == 3 and [os.path.basename(s['video']) for s in done['skipped']] \
        == ['broken.mp4']
    hits = search_tool.main(['query', index, 'blue square', '--top-k', '1', '--thumbnails',
                             str(tmp_path / 'thumbs')])
    assert os.path.basename(hits[0]['video']) == 'blue_square.mp4'
    assert os.path.isfile(hits[0]['thumbnail'])
    assert '1. ' in capsys.readouterr().out
    # again: nothing new to embed
    again = search_tool.main(['index', DEMO_CFG, str(folder), '--out', index,
                              '--sample-fps', '4'])
    assert len(again['unchanged']) == 3
    with pytest.raises(SystemExit):
        search_tool.main(['query', index, '  '])
    assert 'an empty query' in capsys.readouterr().err


def test_sharded_index_equals_one_process(folder, tmp_path, monkeypatch):
    """Two processes of a launcher (RANK / WORLD_SIZE as torchrun sets them), run
    one after the other here and side by side below: the merged index holds the
    same videos and vectors as one process's."""
    write_class_video(folder / 'yellow_star.mp4', 'yellow star', 7)
    single = str(tmp_path / 'single')
    search_tool.main(['index', DEMO_CFG, str(folder), '--out', single, '--sample-fps', '4'])
    sharded = str(tmp_path / 'sharded')
    monkeypatch.setenv('WORLD_SIZE', '2')
    for rank in ('1', '0'):  # rank 0 merges once every share is there
        monkeypatch.setenv('RANK', rank)
        done = search_tool.main(['index', DEMO_CFG, str(folder), '--out', sharded,
                                 '--sample-fps', '4', '--launcher', 'pytorch'])
    assert len(done['added']) == 4 and not os.path.exists(os.path.join(sharded, 'shards'))
    a, b = VideoSearchIndex.open(single), VideoSearchIndex.open(sharded)
    assert sorted(a.meta['videos']) == sorted(b.meta['videos'])
    for path in a.meta['videos']:
        va = np.stack([a.vectors.reconstruct(i) for i in range(*a.meta['videos'][path]['ids'])])
        vb = np.stack([b.vectors.reconstruct(i) for i in range(*b.meta['videos'][path]['ids'])])
        np.testing.assert_array_equal(va, vb)  # the same computation, shard or not
    # side by side: two processes as torchrun starts them
    import subprocess
    both = str(tmp_path / 'parallel')
    procs = [subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'tools', 'search.py'), 'index', DEMO_CFG,
         str(folder), '--out', both, '--sample-fps', '4', '--launcher', 'pytorch'],
        env=dict(os.environ, RANK=str(r), WORLD_SIZE='2'), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True) for r in (0, 1)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()[-2000:]
    assert sorted(VideoSearchIndex.open(both).meta['videos']) == sorted(a.meta['videos'])
