"""Checkpoints must fit: through mmengine's loader (init_recognizer's path),
tools/test.py, load_from and tools/test_protocol.py; small and full checkpoints."""
import copy
import os
import subprocess
import sys

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint

from vtd_mm.models.checkpoint_fit import RECORD, CheckpointMismatchError, decode_record
from vtd_mm.utils import CheckpointFileError, read_checkpoint

from ..conftest import TINY_ARCH, make_clip, warnings_logged
from ..paths import ROOT  # noqa: E402
from ..videos import make_dataset

TINY_CFG = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')


def tiny_model(clip=None, n_ctx=2, **backbone):
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    cfg.backbone.update(pretrained=clip, n_ctx=n_ctx, **backbone)
    cfg.cls_head.text_encoder.update(pretrained=clip)
    cfg.cls_head.text_encoder.prompt_learner.n_ctx = n_ctx
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.fixture(scope='module')
def clip_files(tmp_path_factory):
    root = tmp_path_factory.mktemp('clips')
    paths = []
    for seed in (7, 8):
        paths.append(str(root / f'clip_{seed}.pt'))
        torch.save(make_clip(TINY_ARCH, seed=seed).state_dict(), paths[-1])
    return paths


def save(path, state_dict, **extra):
    torch.save(dict(state_dict=state_dict, meta={}, **extra), path)
    return str(path)


def small(state_dict):
    return {k: v for k, v in state_dict.items()
            if not k.startswith(('backbone.visual.', 'cls_head.text_encoder.text.'))}


def test_misfits_are_errors_for_mmengine_loads(clip_files, tmp_path):
    """mmengine's load_checkpoint (strict=False, as init_recognizer and the
    Runner call it) raises, naming the keys, instead of printing and going on."""
    sd = tiny_model(clip_files[0]).state_dict()
    cases = {
        'no prompts': ({k: v for k, v in sd.items() if 'prompt' not in k},
                       'lacks backbone.prompts'),
        'prompt size': (dict(sd, **{'backbone.prompts': torch.zeros(2, 3, 64)}),
                        r'backbone.prompts: checkpoint \(2, 3, 64\) vs model \(2, 2, 64\)'),
        'TSN': ({'backbone.conv1.weight': torch.zeros(64, 3, 7, 7),
                 'cls_head.fc_cls.weight': torch.zeros(3, 2048)}, 'unknown keys'),
        'head only': ({k: v for k, v in sd.items() if k.startswith('backbone.')},
                      'lacks cls_head.'),
        'part of CLIP': ({k: v for k, v in sd.items() if 'visual.conv1' not in k},
                         'only part of the CLIP vision weights'),
    }
    for name, (state_dict, message) in cases.items():
        path = save(tmp_path / f'{name}.pth', state_dict)
        with pytest.raises(CheckpointMismatchError, match=message):
            load_checkpoint(tiny_model(clip_files[0]), path)
    # the full checkpoint fits a model with random CLIP weights; the small one
    # only a model built with the same CLIP file
    full, light = save(tmp_path / 'full.pth', sd), save(tmp_path / 'small.pth', small(sd))
    load_checkpoint(tiny_model(None), full)
    model = tiny_model(clip_files[0])
    load_checkpoint(model, light)
    with pytest.raises(CheckpointMismatchError, match='pretrained=None, i.e. random'):
        load_checkpoint(tiny_model(None), light)
    with pytest.raises(CheckpointMismatchError,
                       match=r'trained with clip_7.pt .*loaded other weights from .*clip_8.pt'):
        load_checkpoint(tiny_model(clip_files[1]), light)
    # the activation travels with the checkpoint
    record = decode_record(sd['backbone.' + RECORD])
    assert record['clip_file'] == 'clip_7.pt' and record['quick_gelu'] is False
    with pytest.raises(CheckpointMismatchError, match='made with GELU.*uses QuickGELU'):
        load_checkpoint(tiny_model(clip_files[0], quick_gelu=True), full)


def test_broken_checkpoint_files(tmp_path):
    empty = tmp_path / 'epoch_3.pth'
    empty.write_bytes(b'')
    with pytest.raises(CheckpointFileError, match='epoch_3.pth is empty'):
        read_checkpoint(str(empty))
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict=tiny_model().state_dict()), whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    with pytest.raises(CheckpointFileError,
                       match=r'cut.pth \(\d+ bytes\) cannot be read: it is truncated'):
        load_checkpoint(tiny_model(), str(cut))  # through mmengine's loader
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    with pytest.raises(CheckpointFileError, match='not a PyTorch checkpoint'):
        read_checkpoint(str(text))


def run_tool(args, data_root, ok=True):
    env = dict(os.environ, VTD_TINY_DATA=str(data_root), PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    out = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert (out.returncode == 0) == ok, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def test_tools_refuse_checkpoints_that_do_not_fit(clip_files, tmp_path):
    data = tmp_path / 'data'
    make_dataset(str(data), per_class=1)
    weights = [f'model.backbone.pretrained={clip_files[0]}',
               f'model.cls_head.text_encoder.pretrained={clip_files[0]}']
    sd = tiny_model(clip_files[0]).state_dict()
    no_prompts = save(tmp_path / 'no_prompts.pth',
                      {k: v for k, v in sd.items() if 'prompt' not in k})
    out = run_tool(['tools/test.py', TINY_CFG, no_prompts, '--work-dir', str(tmp_path / 'w1'),
                    '--cfg-options'] + weights, data, ok=False)
    assert 'CheckpointMismatchError' in out and 'lacks backbone.prompts' in out
    assert 'acc/top1' not in out
    logs = list((tmp_path / 'w1').glob('*/*.log'))          # also in the work dir's log
    assert len(logs) == 1 and 'lacks backbone.prompts' in logs[0].read_text()
    out = run_tool(['tools/train.py', TINY_CFG, '--work-dir', str(tmp_path / 'w2'),
                    '--cfg-options', f'load_from={no_prompts}', 'train_cfg.max_epochs=1'] + weights,
                   data, ok=False)
    assert 'lacks backbone.prompts' in out and 'Epoch(train)' not in out
    other = save(tmp_path / 'n_ctx3.pth', tiny_model(clip_files[0], n_ctx=3).state_dict())
    out = run_tool(['tools/test_protocol.py', TINY_CFG, other, '--work-dir', str(tmp_path / 'w3'),
                    '--cfg-options'] + weights, data, ok=False)
    assert 'backbone.prompts: checkpoint (2, 3, 64) vs model (2, 2, 64)' in out
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    out = run_tool(['tools/test.py', TINY_CFG, str(empty), '--work-dir', str(tmp_path / 'w4')],
                   data, ok=False)
    assert 'empty.pth is empty (0 bytes)' in out


def test_publish_small_checkpoint_as_full(clip_files, tmp_path):
    """A small checkpoint + its CLIP file -> one full file that loads anywhere
    (pretrained=None too) and gives the same scores."""
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    import publish_checkpoint
    trained = tiny_model(clip_files[0])
    with torch.no_grad():
        trained.backbone.prompts.add_(torch.randn_like(trained.backbone.prompts))
    light = save(tmp_path / 'epoch_2.pth', small(trained.state_dict()),
                 optimizer=dict(state={}, param_groups=[]))
    out = str(tmp_path / 'shared.pth')
    publish_checkpoint.main([TINY_CFG, light, out, '--cfg-options',
                             f'model.backbone.pretrained={clip_files[0]}',
                             f'model.cls_head.text_encoder.pretrained={clip_files[0]}'])
    published = torch.load(out, weights_only=True)
    assert 'optimizer' not in published
    assert 'backbone.visual.conv1.weight' in published['state_dict']
    assert published['meta']['clip_files']['backbone.visual'] == 'clip_7.pt'
    anywhere = tiny_model(None)
    load_checkpoint(anywhere, out)
    x = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        a = anywhere.cls_head(anywhere.backbone(x), num_segs=4)
        b = trained.cls_head(trained.backbone(x), num_segs=4)
    torch.testing.assert_close(a, b, atol=0, rtol=0)  # the same weights, the same kernels


def test_init_recognizer(clip_files, tmp_path, mmlog):
    """MMAction2's init_recognizer drops backbone.pretrained: the stated
    activation still holds, random frozen vision weights are named when the
    model is put in eval mode, a small checkpoint is refused with the reason,
    a published one gives the Runner-built model's scores, with no warning."""
    from mmaction.apis import init_recognizer
    cfg = Config.fromfile(TINY_CFG)
    for tower in (cfg.model.backbone, cfg.model.cls_head.text_encoder):
        tower.update(pretrained=clip_files[0], quick_gelu=True)
    torch.manual_seed(0)
    built = MODELS.build(copy.deepcopy(cfg.model)).eval()
    mmlog.clear()
    bare = init_recognizer(copy.deepcopy(cfg), device='cpu')
    assert bare.backbone.clip_file is None                       # pretrained was dropped
    said = warnings_logged(mmlog)
    assert len(said) == 1 and 'frozen CLIP vision weights are random' in said[0]
    bare.eval()
    assert len(warnings_logged(mmlog)) == 1                      # said once
    assert bare.backbone.quick_gelu and bare.cls_head.text_encoder.quick_gelu
    light = save(tmp_path / 'small.pth', small(built.state_dict()))
    with pytest.raises(CheckpointMismatchError, match='built with pretrained=None'):
        init_recognizer(copy.deepcopy(cfg), light, device='cpu')
    full = save(tmp_path / 'full.pth', built.state_dict())
    mmlog.clear()
    model = init_recognizer(copy.deepcopy(cfg), full, device='cpu')
    assert not warnings_logged(mmlog)                            # the checkpoint holds them
    x = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.cls_head(model.backbone(x), num_segs=4),
                                   built.cls_head(built.backbone(x), num_segs=4), atol=0, rtol=0)
