"""Checkpoints of a run that is killed or runs out of disk while saving, and
two runs in one work dir: nothing the user had is lost."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from vtd_mm.engine import latest_checkpoint
from vtd_mm.utils import WorkDirInUse, hold_work_dir

from ..paths import ROOT  # noqa: E402

# mmengine's Runner and CheckpointHook with our backend (max_keep_ckpts=1); the
# second save fails inside the write, at the point the test chooses
RUN = textwrap.dedent('''
    import errno, os, sys
    import torch
    from torch.utils.data import DataLoader
    from mmengine.model import BaseModel
    from mmengine.runner import Runner
    import vtd_mm.engine  # registers the atomic_local backend
    import vtd_mm.utils.safe_output as safe_output

    work_dir, how = sys.argv[1], sys.argv[2]
    saves = []
    real_fsync = os.fsync

    def fsync(fd):   # called when the bytes of a save are written, before the rename
        saves.append(fd)
        if len(saves) == 2 and how == 'kill':
            os._exit(9)
        if len(saves) == 2 and how == 'full':
            raise OSError(errno.ENOSPC, 'No space left on device')
        real_fsync(fd)

    safe_output.os.fsync = fsync

    class Line(BaseModel):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return dict(loss=self.w(inputs).pow(2).mean())

    runner = Runner(
        model=Line(), work_dir=work_dir,
        train_dataloader=DataLoader([dict(inputs=torch.randn(2)) for _ in range(4)],
                                    batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=1, max_keep_ckpts=1,
            backend_args=dict(backend='atomic_local'))))
    runner.train()
''')


def interrupted_run(work_dir, how):
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, '-c', RUN, str(work_dir), how], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize('how', ['kill', 'full'])
def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, how):
    """mmengine's CheckpointHook removes the oldest checkpoint before it writes
    the new one; with max_keep_ckpts=1, a save killed or out of disk would
    leave nothing to resume from."""
    out = interrupted_run(tmp_path, how)
    if how == 'kill':
        assert out.returncode == 9, out.stderr[-3000:]
    else:
        assert out.returncode != 0 and 'No space left on device' in out.stderr
    assert not (tmp_path / 'epoch_2.pth').exists()
    ckpt = torch.load(tmp_path / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert ckpt['meta']['epoch'] == 1 and 'w.weight' in ckpt['state_dict']
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')
    parts = [p.name for p in tmp_path.iterdir() if p.name.startswith('.epoch_2.pth.')]
    # killed: the part file stays (no checkpoint name); out of disk: removed
    assert len(parts) == (1 if how == 'kill' else 0)


def test_completed_run_keeps_max_keep_ckpts(tmp_path):
    out = interrupted_run(tmp_path, 'none')
    assert out.returncode == 0, out.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_3.pth']
    assert not [p for p in tmp_path.iterdir() if '.part' in p.name]


LOCK_HOLDER = 'import sys, time; from vtd_mm.utils import hold_work_dir; ' \
              'lock = hold_work_dir(sys.argv[1]); print("held", flush=True); time.sleep(600)'


def test_work_dir_in_use_is_refused_and_released_by_a_killed_run(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT)
    holder = subprocess.Popen([sys.executable, '-c', LOCK_HOLDER, str(tmp_path)], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        with pytest.raises(WorkDirInUse, match=f'{tmp_path} is in use by a running training '
                           rf'\(pid {holder.pid}, started .*\).*another --work-dir'):
            hold_work_dir(str(tmp_path))
    finally:
        holder.kill()
        holder.wait()
    lock = hold_work_dir(str(tmp_path))   # a killed run leaves nothing stuck
    assert f'pid {os.getpid()}' in (tmp_path / '.train.lock').read_text()
    lock.close()
