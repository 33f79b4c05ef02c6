"""vtd_mm's tools take MMAction2's own configs as MMAction2's tools do: no
``randomness``, no visualization hook, no ``custom_imports``, ``mmaction::``
names; and the shipped TSM distillation config. Each run is a plain
``python tools/train.py CONFIG``: the child config only points the data at
generated videos, drops downloads (ImageNet / teacher weights) and keeps the
crops small (64 px)."""
import os
import subprocess
import sys

import pytest
from mmengine.config import Config

from ..mmaction_families import SCALE, small_pipeline
from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TSN = 'mmaction::recognition/tsn/tsn_imagenet-pretrained-r50_8xb32-1x1x8-100e_kinetics400-rgb.py'
TSM_CKD = os.path.join(ROOT, 'configs', 'distill', 'ckd_tsm-r50_to_tsm-mbv2_k400.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('mmaction_configs')
    lists = make_dataset(str(root), classes=('red', 'green'), per_class=1, num_frames=24,
                         size=(40, 56))
    return root, lists


def child_config(tmp_path, base, data, model, batch_size=2):
    """A config inheriting ``base`` with data, model changes and small crops."""
    root, lists = data
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = [{base!r}]\n')
    cfg = Config.fromfile(str(path))
    lines = [f'_base_ = [{base!r}]', f'model = {model!r}',
             f"work_dir = {str(tmp_path / 'work')!r}",
             'train_cfg = dict(max_epochs=1, val_begin=1, val_interval=1)']
    for key, split in (('train_dataloader', 'train'), ('val_dataloader', 'val'),
                       ('test_dataloader', 'val')):
        pipeline = small_pipeline(cfg[key].dataset.pipeline, SCALE)
        lines.append(f'{key} = dict(batch_size={batch_size}, num_workers=0, '
                     f'persistent_workers=False, dataset=dict(ann_file={lists[split]!r}, '
                     f"data_prefix=dict(video={str(root / 'videos')!r}), pipeline={pipeline!r}))")
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def train(config):
    out = subprocess.run([sys.executable, 'tools/train.py', config], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    assert 'Epoch(train) [1]' in log and 'Epoch(val) [1]' in log
    return log


def test_plain_mmaction2_config(data, tmp_path):
    """MMAction2's TSN config, neither ``randomness`` nor ``custom_imports``."""
    config = child_config(tmp_path, TSN, data, dict(
        backbone=dict(depth=18, pretrained=None), cls_head=dict(num_classes=2, in_channels=512)))
    cfg = Config.fromfile(config)
    assert 'randomness' not in cfg and 'custom_imports' not in cfg
    train(config)


def test_shipped_tsm_distillation_config(data, tmp_path):
    config = child_config(tmp_path, TSM_CKD, data, dict(
        teacher_checkpoint=None,
        student=dict(backbone=dict(pretrained=None, pretrained2d=False),
                     cls_head=dict(num_classes=2)),
        teacher=dict(backbone=dict(pretrained=None), cls_head=dict(num_classes=2))))
    assert 'randomness' not in Config.fromfile(config)
    log = train(config)
    assert 'loss_ckd' in log
