"""tools/test.py takes MMAction2's arguments to the same config, and draws
test videos with --show-dir."""
import importlib.util
import os
import sys

import pytest
import torch
from mmengine.config import Config

from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


def load_tool(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def ours():
    return load_tool(os.path.join(ROOT, 'tools', 'test.py'), 'vtd_test_tool')


def mmaction_config(argv, monkeypatch):
    """The config MMAction2's tools/test.py builds from ``argv`` (its main,
    up to building the Runner)."""
    import mmaction
    tool = load_tool(os.path.join(os.path.dirname(mmaction.__file__), '.mim', 'tools', 'test.py'),
                     'mmaction_test_tool')
    monkeypatch.setattr(sys, 'argv', ['test.py'] + argv)
    args = tool.parse_args()
    cfg = tool.merge_args(Config.fromfile(args.config), args)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        name = os.path.splitext(os.path.basename(args.config))[0]
        cfg.work_dir = os.path.join('./work_dirs', name)
    cfg.load_from = args.checkpoint
    return cfg


@pytest.mark.parametrize('argv', [
    ['--show-dir', 'shows', '--interval', '3'],
    ['--show', '--wait-time', '0.5'],
    ['--show', '--show-dir', 'shows', '--work-dir', 'w', '--cfg-options', 'work_dir=x'],
    ['--cfg-options', 'work_dir=x', 'default_hooks.visualization.interval=7'],
    [],
])
def test_same_config_as_mmaction2_tool(argv, monkeypatch):
    argv = [TINY_CFG, 'ckpt.pth'] + argv
    tool = ours()
    mine = tool.make_config(tool.parse_args(argv)).to_dict()
    theirs = mmaction_config(argv, monkeypatch).to_dict()
    for key in ('default_hooks', 'work_dir', 'load_from', 'launcher', 'test_evaluator'):
        assert mine[key] == theirs[key], key


def test_dump_adds_our_predictions_where_mmaction2_adds_its_results(monkeypatch):
    argv = [TINY_CFG, 'ckpt.pth', '--dump', 'out.pkl']
    tool = ours()
    mine = tool.make_config(tool.parse_args(argv)).test_evaluator
    theirs = mmaction_config(argv, monkeypatch).test_evaluator
    assert [e['type'] for e in theirs] == ['AccMetric', 'DumpResults']
    assert [e['type'] for e in mine] == ['AccMetric', 'DumpPredictions']
    assert mine[1]['out_file_path'] == theirs[1]['out_file_path'] == 'out.pkl'


def test_show_without_a_visualization_hook_adds_one(tmp_path):
    """MMAction2's runtime has no visualization hook and its tool stops on
    --show-dir; here a VTDHead gets FrameTokenVisualizationHook, any other
    head MMAction2's VisualizationHook."""
    child = tmp_path / 'no_vis.py'
    child.write_text(f'_base_ = [{TINY_CFG!r}]\n'
                     'default_hooks = dict(visualization=None)\n')
    tool = ours()
    cfg = tool.make_config(tool.parse_args([str(child), 'x.pth', '--show-dir', 'd']))
    hook = cfg.default_hooks.visualization
    assert hook.type == 'FrameTokenVisualizationHook' and hook.enable and hook.out_dir == 'd'
    other = tmp_path / 'tsn_head.py'
    other.write_text(f'_base_ = [{str(child)!r}]\n'
                     "model = dict(cls_head=dict(_delete_=True, type='TSNHead', num_classes=3, "
                     'in_channels=32))\n')
    cfg = tool.make_config(tool.parse_args([str(other), 'x.pth', '--show-dir', 'd']))
    assert cfg.default_hooks.visualization.type == 'VisualizationHook'


def test_show_dir_draws_every_interval_th_video(tmp_path):
    """3 test videos, --interval 2: the 1st and the 3rd are drawn, each as a
    strip of its first view's frames titled with their class names."""
    from mmaction.registry import MODELS
    make_dataset(str(tmp_path / 'data'), per_class=1, splits=('val',))
    os.environ['VTD_TINY_DATA'] = str(tmp_path / 'data')
    try:
        cfg = Config.fromfile(TINY_CFG)
        torch.manual_seed(0)
        ckpt = tmp_path / 'model.pth'
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(), meta={}), ckpt)
        show = tmp_path / 'shows'
        metrics = ours().main([TINY_CFG, str(ckpt), '--show-dir', str(show), '--interval', '2',
                               '--work-dir', str(tmp_path / 'work')])
    finally:
        os.environ.pop('VTD_TINY_DATA')
    assert 'acc/top1' in metrics
    drawn = sorted(os.listdir(show))
    assert drawn == ['00001_val_red_0.png', '00003_val_blue_0.png'], drawn
    import cv2
    strip = cv2.imread(str(show / drawn[0]))
    assert strip is not None and strip.shape[1] > strip.shape[0]  # frames side by side


@pytest.mark.parametrize('where', ['config', 'loop'])
def test_protocol_config_tests_every_set_and_dumps_one_file_per_set(tmp_path, where):
    """Test sets in the config or given to the loop: tools/test.py runs each
    set (NamedSetsTestLoop), names the metrics by set and writes one --dump
    file per set."""
    import pickle

    from mmaction.registry import MODELS
    make_dataset(str(tmp_path / 'data'), per_class=1, splits=('train', 'val'))
    child = tmp_path / 'two_sets.py'
    sets = ("dict(seen=dict(group='seen'), train=dict(group='train', "
            "dataset=dict(ann_file=f'{_base_.data_root}/train_list.txt')))")
    child.write_text(f'_base_ = [{TINY_CFG!r}]\n' + (
        f"test_cfg = dict(type='NamedSetsTestLoop')\ntest_sets = {sets}\n" if where == 'config'
        else f"test_cfg = dict(type='NamedSetsTestLoop', test_sets={sets})\n"))
    os.environ['VTD_TINY_DATA'] = str(tmp_path / 'data')
    try:
        torch.manual_seed(0)
        ckpt = tmp_path / 'model.pth'
        model = MODELS.build(Config.fromfile(str(child)).model)
        torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
        metrics = ours().main([str(child), str(ckpt), '--dump', str(tmp_path / 'out.pkl'),
                               '--work-dir', str(tmp_path / 'work')])
    finally:
        os.environ.pop('VTD_TINY_DATA')
    assert {'seen/acc/top1', 'train/acc/top1'} <= set(metrics)
    for name in ('seen', 'train'):
        with open(tmp_path / f'out.{name}.pkl', 'rb') as f:
            assert len(pickle.load(f)) == 3  # one record per video of the set
    assert not (tmp_path / 'out.pkl').exists()


def test_show_dir_names_are_unique_for_videos_of_the_same_name(tmp_path):
    """Three test videos named 0001.mp4 in three folders: three pictures,
    named by position and file name."""
    import shutil

    from mmaction.registry import MODELS
    data = tmp_path / 'data'
    make_dataset(str(data), per_class=1, splits=('val',))
    lines = []
    for label, (folder, colour) in enumerate(zip('abc', ('red', 'green', 'blue'))):
        (data / 'videos' / folder).mkdir()
        shutil.copy(data / 'videos' / f'val_{colour}_0.mp4', data / 'videos' / folder / '0001.mp4')
        lines.append(f'{folder}/0001.mp4 {label}\n')
    (data / 'val_list.txt').write_text(''.join(lines))
    os.environ['VTD_TINY_DATA'] = str(data)
    try:
        cfg = Config.fromfile(TINY_CFG)
        torch.manual_seed(0)
        ckpt = tmp_path / 'model.pth'
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict(), meta={}), ckpt)
        ours().main([TINY_CFG, str(ckpt), '--show-dir', str(tmp_path / 'shows'),
                     '--interval', '1', '--work-dir', str(tmp_path / 'work')])
    finally:
        os.environ.pop('VTD_TINY_DATA')
    assert sorted(os.listdir(tmp_path / 'shows')) == \
        ['00001_0001.png', '00002_0001.png', '00003_0001.png']
