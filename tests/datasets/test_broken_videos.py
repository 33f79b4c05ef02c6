"""Broken videos in a list: named, optionally skipped in training, found beforehand."""
import copy
import os
import re
import subprocess
import sys

import pytest
from mmaction.registry import DATASETS, TRANSFORMS
from mmengine.config import Config

from vtd_mm.datasets import BrokenVideoError

from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')
BROKEN = {'empty.mp4': 'zero bytes', 'cut.mp4': 'truncated', 'notes.mp4': 'a text file'}


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """Tiny dataset whose train list also names three broken files and a missing one."""
    root = tmp_path_factory.mktemp('broken')
    lists = make_dataset(str(root), per_class=2)
    videos = root / 'videos'
    good = (videos / 'train_red_0.mp4').read_bytes()
    (videos / 'empty.mp4').write_bytes(b'')
    (videos / 'cut.mp4').write_bytes(good[:len(good) // 2])
    (videos / 'notes.mp4').write_text('see the shared drive for the real file\n')
    lines = open(lists['train']).read().splitlines()
    mixed = lines[:2] + ['empty.mp4 0'] + lines[2:4] + ['cut.mp4 1', 'notes.mp4 2'] + lines[4:]
    (root / 'mixed_list.txt').write_text('\n'.join(mixed) + '\n')
    (root / 'with_missing.txt').write_text('\n'.join(mixed + ['gone.mp4 1']) + '\n')
    return root


def dataset_cfg(data, **kwargs):
    os.environ['VTD_TINY_DATA'] = str(data)
    try:
        cfg = copy.deepcopy(Config.fromfile(TINY_CFG).train_dataloader.dataset)
    finally:
        os.environ.pop('VTD_TINY_DATA')
    cfg.update(ann_file=str(data / 'mixed_list.txt'), **kwargs)
    return cfg


def test_error_names_the_file(data):
    for test_mode in (False, True):
        dataset = DATASETS.build(dataset_cfg(data, test_mode=test_mode))
        assert dataset[0]['inputs'].shape[0] == 4                    # a good entry
        with pytest.raises(BrokenVideoError, match=r'empty.mp4 \(entry 3 of .*mixed_list.txt; '
                                                   r'DecordInit: empty file \(0 bytes\)'):
            dataset[2]
        for idx, name in ((5, 'cut.mp4'), (6, 'notes.mp4')):
            with pytest.raises(BrokenVideoError, match=name) as err:
                dataset[idx]
            assert err.value.filename.endswith(name)
    # in test mode skip_broken does not apply: a metric must not lose videos silently
    with pytest.raises(BrokenVideoError, match='empty.mp4'):
        DATASETS.build(dataset_cfg(data, test_mode=True, skip_broken=True))[2]


@TRANSFORMS.register_module()
class FailingResizeForTest:
    def __call__(self, results):
        raise ValueError('scale must be positive')


def test_other_pipeline_errors_are_not_taken_for_broken_videos(data):
    cfg = dataset_cfg(data, skip_broken=True)
    cfg.pipeline.insert(3, dict(type='FailingResizeForTest'))
    with pytest.raises(ValueError, match='scale must be positive'):
        DATASETS.build(cfg)[0]


def test_skipped_in_training_with_a_summary(data, tmp_path):
    env = dict(os.environ, VTD_TINY_DATA=str(data), PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    train = [sys.executable, 'tools/train.py', TINY_CFG, '--cfg-options',
             f'train_dataloader.dataset.ann_file={data / "mixed_list.txt"}',
             'train_cfg.max_epochs=1', 'train_dataloader.batch_size=3']
    # without skip_broken: stops, naming the file
    out = subprocess.run(train + ['--work-dir', str(tmp_path / 'a')], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode != 0
    assert 'BrokenVideoError: cannot decode video' in out.stderr and 'mixed_list.txt' in out.stderr
    # with skip_broken: every broken file is named in the log, the epoch ends
    out = subprocess.run(train + ['train_dataloader.dataset.skip_broken=True',
                                  '--work-dir', str(tmp_path / 'b')], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert 'Epoch(train) [1]' in log and 'Epoch(val) [1]' in log
    for name in BROKEN:
        assert f'skipped undecodable video {os.path.join(data, "videos", name)}' in log
    # each broken entry once, plus the refetches that drew a broken one again
    skips = re.search(r'epoch 1: skipped (\d+) undecodable videos \(3 files\)', log)
    assert skips and int(skips.group(1)) >= 3, log[-4000:]


def test_check_videos_tool(data, tmp_path, capsys):
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
    import check_videos
    result = check_videos.main([str(data / 'with_missing.txt'), '--data-prefix',
                                str(data / 'videos'), '--workers', '2',
                                '--out-dir', str(tmp_path)])
    broken = {os.path.basename(path): reason for _, _, path, reason in result['broken']}
    assert set(broken) == set(BROKEN) | {'gone.mp4'}
    assert broken['empty.mp4'] == 'empty file (0 bytes)' and broken['gone.mp4'] == 'file not found'
    assert 'RuntimeError' in broken['cut.mp4'] and 'RuntimeError' in broken['notes.mp4']
    report = open(result['broken_file']).read().splitlines()
    assert report[0].split('\t')[0] == '3' and report[0].split('\t')[1].endswith('empty.mp4')
    clean = open(result['clean_file']).read().splitlines()
    original = open(data / 'with_missing.txt').read().splitlines()
    assert clean == [line for line in original if line.split()[0] not in broken]
    assert len(clean) == 6
    # --frames N decodes a sample of frames and finds the same files here
    fast = check_videos.main([str(data / 'with_missing.txt'), '--data-prefix',
                              str(data / 'videos'), '--workers', '1', '--frames', '3',
                              '--out-dir', str(tmp_path / 'fast')])
    assert [b[2] for b in fast['broken']] == [b[2] for b in result['broken']]
    # the same --out-dir again: refused before decoding, the report intact; then a
    # full disk while writing leaves the earlier files whole and no part file
    report_before = open(result['broken_file']).read()
    with pytest.raises(SystemExit, match=r'broken.txt and .*clean.txt exist.*--overwrite'):
        check_videos.main([str(data / 'with_missing.txt'), '--data-prefix',
                           str(data / 'videos'), '--out-dir', str(tmp_path)])
    real_replace = os.replace

    def disk_full(src, dst):
        raise OSError(28, 'No space left on device')
    os.replace = disk_full
    try:
        with pytest.raises(OSError, match='No space left'):
            check_videos.main([str(data / 'with_missing.txt'), '--data-prefix',
                               str(data / 'videos'), '--out-dir', str(tmp_path), '--overwrite',
                               '--workers', '1'])
    finally:
        os.replace = real_replace
    assert open(result['broken_file']).read() == report_before
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.part')]
    for bad, said in ((['--frames=-1'], '--frames must be 0'),
                      (['--workers', '0'], '--workers must be at least 1')):
        with pytest.raises(SystemExit):
            check_videos.main([str(data / 'with_missing.txt')] + bad)
        assert said in capsys.readouterr().err


def test_mmaction_browse_dataset_sees_every_transform(data):
    """MMAction2's tools/visualizations/browse_dataset.py puts its InspectCompose
    in place of the dataset's pipeline and reads the frames after each
    transform: the dataset must call the pipeline it holds."""
    import importlib.util

    from mmengine.utils import get_installed_path
    path = os.path.join(get_installed_path('mmaction'), '.mim', 'tools', 'visualizations',
                        'browse_dataset.py')
    spec = importlib.util.spec_from_file_location('mmaction_browse_dataset', path)
    browse = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browse)
    dataset = DATASETS.build(dataset_cfg(data))
    seen = []
    dataset.pipeline = browse.InspectCompose(dataset.pipeline.transforms, seen)
    item = dataset[0]
    assert item['inputs'].shape[0] == 4
    names = [step['name'] for step in seen]
    assert names == ['DecordDecode', 'Resize', 'RandomCrop', 'Flip']
    assert seen[0]['imgs'][0].shape == (48, 64, 3) and seen[-1]['imgs'][0].shape == (32, 32, 3)


def test_lists_that_are_not_regular_files_are_refused(data, tmp_path):
    """A FIFO as the list would block the reader; a device would fill memory."""
    fifo = tmp_path / 'list.fifo'
    os.mkfifo(fifo)
    def build(path):
        cfg = dataset_cfg(data)
        cfg.ann_file = path
        return DATASETS.build(cfg)
    for path in (str(fifo), '/dev/zero', str(tmp_path)):
        with pytest.raises(ValueError, match='is not a regular file'):
            build(path)
    with pytest.raises(FileNotFoundError, match='annotation list not found'):
        build(str(tmp_path / 'gone.txt'))
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
    import check_videos
    with pytest.raises(SystemExit, match='is not a regular file'):
        check_videos.main([str(fifo)])


def test_list_lines_are_read_or_named(data, tmp_path):
    """A path with spaces is read whole; a bad line or an empty list is named."""
    videos = data / 'videos'
    spaced = videos / 'my clip.mp4'
    spaced.write_bytes((videos / 'train_red_0.mp4').read_bytes())
    good = tmp_path / 'spaces.txt'
    good.write_text('my clip.mp4 0\n\ntrain_red_0.mp4\t0\n')
    cfg = dataset_cfg(data)
    cfg.ann_file = str(good)
    dataset = DATASETS.build(cfg)
    assert [dataset.get_data_info(i)['filename'] for i in range(len(dataset))] == [
        str(spaced), str(videos / 'train_red_0.mp4')]
    assert dataset[0]['inputs'].shape[0] == 4
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
    import check_videos
    report = check_videos.main([str(good), '--data-prefix', str(videos), '--workers', '1'])
    assert report['broken'] == []
    assert open(report['clean_file']).read() == 'my clip.mp4 0\ntrain_red_0.mp4\t0\n'
    for text, error in (('a.mp4 0\nb.mp4 zero\n',
                         r"line 2 is 'b.mp4 zero'; expected \"path label\""),
                        ('a.mp4 0\nlonely.mp4\n', "line 2 is 'lonely.mp4'"),
                        ('\n  \n', 'has no entries'), (b'\xff\xfe0 1\n', 'not a text list')):
        bad = tmp_path / 'bad.txt'
        (bad.write_bytes if isinstance(text, bytes) else bad.write_text)(text)
        cfg.ann_file = str(bad)
        with pytest.raises(ValueError, match=error):
            DATASETS.build(cfg)
        with pytest.raises(SystemExit, match=error):
            check_videos.main([str(bad), '--out-dir', str(tmp_path / 'reports')])
    multi = tmp_path / 'multi.txt'
    multi.write_text('train_red_0.mp4 0 2\n')
    cfg.update(ann_file=str(multi), multi_class=True, num_classes=3)
    assert DATASETS.build(cfg).get_data_info(0)['label'].tolist() == [1, 0, 1]  # one-hot


def test_videos_decord_reads_wrong_are_explained(tmp_path):
    """Files OpenCV reads but decord 0.6 cannot convert (a rotation tag, some
    frame widths) get the cause and the fix, not a bare size check; frames
    that come back with other than 3 channels are caught, not passed on."""
    import cv2
    import numpy as np

    from vtd_mm.datasets.checked_video_dataset import DecodingCheckedCompose, DecodingFailed
    from vtd_mm.demo.dataset import write_mp4

    from ..videos import square_video, with_rotation_tag
    write_mp4(str(tmp_path / 'upright.mp4'), square_video('red', 0))
    with_rotation_tag(str(tmp_path / 'upright.mp4'), str(tmp_path / 'rotated.mp4'))
    write_mp4(str(tmp_path / 'narrow.mp4'), [np.full((32, 16, 3), 9 * i, np.uint8)
                                             for i in range(8)])
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
    import check_videos
    assert check_videos.check_video(str(tmp_path / 'upright.mp4')) is None
    for name in ('rotated.mp4', 'narrow.mp4'):
        assert cv2.VideoCapture(str(tmp_path / name)).read()[0]          # OpenCV reads it
        reason = check_videos.check_video(str(tmp_path / name))
        assert 'a decord 0.6 defect with files that carry a rotation tag' in reason, reason
        assert 'OpenCVInit / OpenCVDecode' in reason

    class DecordDecode:  # as decord has answered for 16-px-wide frames
        def __call__(self, data):
            return dict(data, imgs=[np.zeros((32, 16, 6), np.uint8)])
    with pytest.raises(DecodingFailed, match=r'DecordDecode: ValueError: decoded frames of '
                                             r'shape \(32, 16, 6\), not H x W x 3'):
        DecodingCheckedCompose([DecordDecode()])(dict(filename='narrow.mp4'))
