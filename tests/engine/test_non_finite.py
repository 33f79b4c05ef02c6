"""NaN and Inf stop a run by name: losses in training, weights in a
checkpoint or a CLIP file, scores at test; integer CLIP tensors are refused."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from vtd_mm.models.clip.weights_file import read_clip_weights
from vtd_mm.utils import CheckpointFileError, read_checkpoint

from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


@pytest.fixture(scope='module')
def tiny_cfg(tmp_path_factory):
    root = tmp_path_factory.mktemp('non_finite')
    make_dataset(str(root), per_class=2)
    os.environ['VTD_TINY_DATA'] = str(root)
    try:
        cfg = Config.fromfile(TINY_CFG)
    finally:
        os.environ.pop('VTD_TINY_DATA')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].num_workers = 0
    return cfg


def test_diverging_training_stops_at_the_first_nan_loss(tiny_cfg, tmp_path):
    cfg = tiny_cfg.copy()
    cfg.optim_wrapper.optimizer.lr = 1e9      # as --cfg-options optimizer.lr=1e9
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FloatingPointError, match=r'training diverged at epoch 1, iteration \d: '
                                                 r'loss = nan.*Lower the learning rate'):
        runner.train()
    assert runner.epoch == 0                  # no epoch finished, no checkpoint saved
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.pth')]


def test_checkpoint_with_nan_weights_is_refused(tmp_path):
    path = tmp_path / 'epoch_9.pth'
    torch.save(dict(state_dict={'backbone.w': torch.tensor([1.0, float('nan')]),
                                'cls_head.b': torch.ones(2)}, meta={}), path)
    with pytest.raises(CheckpointFileError, match=r'NaN or infinite values in backbone.w: the '
                                                  'run that wrote it diverged'):
        read_checkpoint(str(path))


def test_clip_file_with_integer_or_nan_tensors_is_refused(tiny_clip, tmp_path):
    from safetensors.torch import save_file
    sd = {k: v.contiguous() for k, v in tiny_clip.state_dict().items()}
    int8 = dict(sd, **{'visual.conv1.weight': sd['visual.conv1.weight'].to(torch.int8)})
    save_file(int8, str(tmp_path / 'int8.safetensors'))
    with pytest.raises(ValueError, match=r'holds torch.int8 tensors \(visual.conv1.weight\): '
                                         "CLIP's weights are floating point"):
        read_clip_weights(str(tmp_path / 'int8.safetensors'))
    broken = dict(sd)
    broken['ln_final.weight'] = sd['ln_final.weight'].clone()
    broken['ln_final.weight'][0] = float('inf')
    save_file(broken, str(tmp_path / 'broken.safetensors'))
    torch.save(broken, tmp_path / 'broken.pt')
    for name in ('broken.safetensors', 'broken.pt'):
        with pytest.raises((ValueError, CheckpointFileError),
                           match='NaN or infinite values in ln_final.weight'):
            read_clip_weights(str(tmp_path / name))


def test_nan_scores_at_test_name_the_video(tiny_cfg, tmp_path):
    cfg = tiny_cfg.copy()
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    with torch.no_grad():
        runner.model.cls_head.logit_scale.fill_(float('nan'))
    with pytest.raises(FloatingPointError, match=r'test batch 0, sample 0 \(entry 1 of the list, '
                                                 r'.*val_red_0.mp4\): the model gives NaN'):
        runner.test()
