"""Everyday mistakes give an error that says what is wrong and what to do."""
import copy
import os

import pytest
import torch
from mmaction.registry import DATASETS, MODELS
from mmengine.config import Config

from vtd_mm.engine.label_set_hook import check_clip_len, check_labels
from vtd_mm.models import CLIPVisionBackbone

from .conftest import TINY_ARCH
from .paths import ROOT  # noqa: E402
from .videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


@pytest.fixture(scope='module')
def tiny_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp('videos')
    make_dataset(str(root), per_class=1, splits=('val',))
    os.environ['VTD_TINY_DATA'] = str(root)
    try:
        yield Config.fromfile(TINY_CFG), root
    finally:
        os.environ.pop('VTD_TINY_DATA')


def test_clip_len_that_is_a_multiple_of_num_frames(tiny_cfg):
    cfg, _ = tiny_cfg
    head = MODELS.build(cfg.model.cls_head)                     # num_frames = 4
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset = DATASETS.build(dataset_cfg)
    check_clip_len(dataset, [head], 'test')                   # 2 clips x 3 crops of 4: fine
    dataset_cfg.pipeline[1].clip_len = 8                      # 8 = 2 x num_frames
    with pytest.raises(ValueError, match=r'clips of 8 frames \(UniformSample\(clip_len=8\)\), '
                                         r'but VTDHead.num_frames=4'):
        check_clip_len(DATASETS.build(dataset_cfg), [head], 'test')
    # TSN-style sampling: clip_len=1, the num_clips segments are the frames of one view
    dataset_cfg.pipeline[1] = dict(type='SampleFrames', clip_len=1, num_clips=4, test_mode=True)
    check_clip_len(DATASETS.build(dataset_cfg), [head], 'test')
    dataset_cfg.pipeline[1]['num_clips'] = 8
    with pytest.raises(ValueError, match=r'clips of 8 frames \(SampleFrames\(num_clips=8\)\)'):
        check_clip_len(DATASETS.build(dataset_cfg), [head], 'test')
    # a 3D pipeline: the head checks the time steps its backbone gives
    dataset_cfg.pipeline[1] = dict(type='UniformSample', clip_len=8, test_mode=True)
    dataset_cfg.pipeline[-2] = dict(type='FormatShape', input_format='NCTHW')
    check_clip_len(DATASETS.build(dataset_cfg), [head], 'test')
    # the head itself refuses a training clip of 8 frames (was a numpy broadcast error)
    from mmaction.structures import ActionDataSample
    samples = [ActionDataSample().set_gt_label(torch.tensor([0]))]
    with pytest.raises(ValueError, match='training clips have 8 frames, but num_frames=4'):
        head.loss(torch.randn(8, 32), samples, num_segs=8)


def test_negative_label_in_a_list(tiny_cfg, tmp_path):
    cfg, root = tiny_cfg
    bad = tmp_path / 'list.txt'
    lines = open(os.path.join(root, 'val_list.txt')).read().splitlines()
    lines[1] = lines[1].rsplit(' ', 1)[0] + ' -1'
    bad.write_text('\n'.join(lines) + '\n')
    dataset = DATASETS.build(dict(cfg.val_dataloader.dataset, ann_file=str(bad)))
    with pytest.raises(ValueError, match=r"entry 2 of the annotation list .*list.txt.* label -1"):
        check_labels(dataset, 3, 'val')


def test_text_file_as_clip_weights(tmp_path):
    notes = tmp_path / 'ViT-B-16.pt'
    notes.write_text('https://openaipublic.azureedge.net/clip/models/.../ViT-B-16.pt\n')
    with pytest.raises(RuntimeError, match=r'ViT-B-16.pt \(\d+ bytes\) is not a PyTorch CLIP '
                                           'weights file'):
        CLIPVisionBackbone(arch=TINY_ARCH, pretrained=str(notes))
    empty = tmp_path / 'empty.pt'
    empty.write_bytes(b'')
    with pytest.raises(RuntimeError, match='CLIP weights file .*empty.pt is empty'):
        CLIPVisionBackbone(arch=TINY_ARCH, pretrained=str(empty))


def test_cfg_options_without_equals(capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('vtd_test_tool',
                                                  os.path.join(ROOT, 'tools', 'test.py'))
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    with pytest.raises(SystemExit):
        test_tool.parse_args([TINY_CFG, 'x.pth', '--cfg-options', 'model.backbone.pretrained'])
    err = capsys.readouterr().err
    assert "--cfg-options: expects key=value items, got 'model.backbone.pretrained'" in err
    args = test_tool.parse_args([TINY_CFG, 'x.pth', '--cfg-options', 'a.b=1', 'c=x=y'])
    assert args.cfg_options == {'a.b': 1, 'c': 'x=y'}
