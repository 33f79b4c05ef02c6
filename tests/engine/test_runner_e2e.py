"""The full MMAction2 cycle on generated mp4 videos through tools/train.py and tools/test.py."""
import os
import pickle
import socket
import subprocess
import sys

import pytest
import torch

from ..conftest import make_clip
from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


def run(args, data_root, timeout=600):
    env = dict(os.environ, VTD_TINY_DATA=str(data_root), PYTHONPATH=ROOT,
               OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-5000:]
    return out.stdout + out.stderr


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_videos')
    make_dataset(str(root))
    return root


@pytest.fixture(scope='module')
def clip_file(tmp_path_factory):
    from ..conftest import TINY_ARCH
    path = tmp_path_factory.mktemp('clip') / 'tiny_clip.pt'
    torch.save(make_clip(TINY_ARCH, seed=7).state_dict(), path)
    return str(path)


def load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_train_val_resume_test(tiny_data, clip_file, tmp_path):
    weights = [f'model.backbone.pretrained={clip_file}',
               f'model.cls_head.text_encoder.pretrained={clip_file}']
    train = ['tools/train.py', TINY_CFG, '--cfg-options', 'model.cls_head.fusion.attn_drop=0.1'
             ] + weights
    # the random crops and flips of each sample come from (seed, epoch, index)
    # and the fusion's dropout masks from (seed, epoch) (EpochSeedHook), whatever
    # carries the workers' random streams on
    persistent = ['train_dataloader.persistent_workers=True']
    # A: two epochs straight, with a persistent worker
    log_a = run(train + persistent + ['--work-dir', str(tmp_path / 'a')], tiny_data)
    assert 'Epoch(val) [2]' in log_a and 'acc/top1' in log_a
    # B: one epoch in the main process, then resumed for the second one
    run(train + ['train_cfg.max_epochs=1', 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False', '--work-dir',
                 str(tmp_path / 'b')], tiny_data)
    assert not (tmp_path / 'b' / 'epoch_2.pth').exists()
    log_b = run(train + persistent + ['--work-dir', str(tmp_path / 'b'), '--resume'],
                tiny_data)
    assert 'resumed epoch: 1' in log_b and 'Epoch(train) [1]' not in log_b.split('resumed')[-1]
    a, b = load(tmp_path / 'a' / 'epoch_2.pth'), load(tmp_path / 'b' / 'epoch_2.pth')
    assert a['meta']['epoch'] == b['meta']['epoch'] == 2
    assert a['meta']['iter'] == b['meta']['iter'] == 12
    trained = [k for k in a['state_dict'] if 'prompt' in k or 'fusion' in k or 'logit_scale' in k]
    assert len(trained) >= 10
    # small checkpoints (SmallCheckpointHook): what trains, plus the CLIP records
    assert sorted(a['state_dict']) == sorted(trained + ['backbone.clip_weights_record',
                                                        'cls_head.text_encoder.clip_weights_record'])
    assert a['meta']['clip_weights']['backbone.visual']['file'] == clip_file
    # B resumed from a small checkpoint: the same kernels on the same machine
    # in the same order on the same clips, so the runs agree to the last bit
    for key in trained:
        torch.testing.assert_close(b['state_dict'][key], a['state_dict'][key], atol=0, rtol=0)
    assert b['param_schedulers'] == a['param_schedulers']
    exp_avg = [s['exp_avg'] for s in b['optimizer']['state'].values()]
    for sa, sb in zip(a['optimizer']['state'].values(), b['optimizer']['state'].values()):
        assert sa['step'] == sb['step']
        torch.testing.assert_close(sb['exp_avg_sq'], sa['exp_avg_sq'], atol=0, rtol=0)
    assert len(exp_avg) == len(trained)  # only trainable parameters have optimizer state
    # a full checkpoint for sharing: the frozen CLIP weights are the file's
    run(['tools/publish_checkpoint.py', TINY_CFG, str(tmp_path / 'a' / 'epoch_2.pth'),
         str(tmp_path / 'full.pth'), '--cfg-options'] + weights, tiny_data)
    full = load(tmp_path / 'full.pth')
    torch.testing.assert_close(full['state_dict']['backbone.visual.conv1.weight'],
                               load(clip_file)['visual.conv1.weight'], atol=0, rtol=0)

    # multi-view test: 2 clips x 3 crops of 4 frames per video
    dump = tmp_path / 'preds.pkl'
    log_t = run(['tools/test.py', TINY_CFG, str(tmp_path / 'a' / 'epoch_2.pth'),
                 '--work-dir', str(tmp_path / 't'), '--dump', str(dump),
                 '--cfg-options'] + weights, tiny_data)
    assert 'Epoch(test)' in log_t and 'acc/top1' in log_t
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    assert len(preds) == 12
    p = preds[0]
    assert p['pred_score'].shape == (3,) and abs(float(p['pred_score'].sum()) - 1) < 1e-5
    assert p['frame_tokens'].shape == (6, 4) and p['frame_weights'].shape == (6, 4)
    assert len(p['frame_token_names']) == 6 and len(p['video_token_names']) == 6
    assert set(sum(p['frame_token_names'], [])) <= {'red square', 'green square', 'blue square'}


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_gloo_run_keeps_ranks_identical(tiny_data, tmp_path):
    cfg = tmp_path / 'vtd_tiny_dist.py'
    cfg.write_text(f"_base_ = [{TINY_CFG!r}]\n"
                   "custom_imports = dict(imports=['vtd_mm', 'tests.rank_dump_hook'])\n"
                   "custom_hooks = [dict(type='RankStateDumpHook')]\n"
                   "train_cfg = dict(max_epochs=1)\n"
                   "val_dataloader = None\nval_cfg = None\nval_evaluator = None\n")
    log = run(['-m', 'torch.distributed.run', '--nproc_per_node=2',
               f'--master_port={free_port()}', 'tools/train.py', str(cfg),
               '--launcher', 'pytorch', '--work-dir', str(tmp_path / 'wd')], tiny_data)
    assert 'Epoch(train) [1][3/3]' in log  # 12 videos / (2 ranks x batch 2)
    r0, r1 = load(tmp_path / 'wd' / 'rank0_final.pth'), load(tmp_path / 'wd' / 'rank1_final.pth')
    init = load(tmp_path / 'wd' / 'epoch_1.pth')['state_dict']
    assert r0.keys() == r1.keys()
    for key in r0:
        assert torch.equal(r0[key], r1[key]), key
    moved = [k for k in r0 if 'prompt' in k and not torch.equal(r0[k], init[k])]
    assert not moved  # rank 0 saved the same final parameters into its checkpoint
    assert not torch.equal(r0['backbone.prompts'], torch.zeros_like(r0['backbone.prompts']))


def test_resnet_backbone_with_vtd_head(tiny_data, tmp_path):
    """Mixing the VTD head into another MMAction2 model: TSN ResNet + projection."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(TINY_CFG)
    cfg.train_dataloader.dataset.ann_file = str(tiny_data / 'train_list.txt')
    cfg.train_dataloader.dataset.data_prefix = dict(video=str(tiny_data / 'videos'))
    cfg.train_dataloader.num_workers = 0
    cfg.model.backbone = dict(type='ResNet', depth=18, pretrained=None, norm_eval=False)
    cfg.model.cls_head.in_channels = 512
    cfg.model.data_preprocessor = dict(type='ActionDataPreprocessor',
                                       mean=[123.675, 116.28, 103.53],
                                       std=[58.395, 57.12, 57.375], format_shape='NCHW')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3, val_interval=100)
    cfg.param_scheduler = None
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    head = runner.model.cls_head
    before = head.proj.weight.detach().clone()
    conv = runner.model.backbone.conv1.conv.weight.detach().clone()
    ctx = head.text_encoder.prompt_learner.ctx.detach().clone()
    runner.train()
    assert not torch.equal(before, head.proj.weight)  # projection to the text width trains
    assert not torch.equal(conv, runner.model.backbone.conv1.conv.weight)  # and the ResNet
    assert not torch.equal(ctx, head.text_encoder.prompt_learner.ctx)  # and the text prompts
