"""Text stored in a checkpoint is read as data, never executed."""
import os
import sys
from typing import Tuple

import pytest
import torch

from vtd_mm.utils import NotALiteral, read_assignment

from .paths import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, 'tools'))
import export_student  # noqa: E402

CONFIG_TEXT = """
model = dict(
    type='RecognizerDistiller',
    student=dict(type='Recognizer2D', backbone=dict(type='ResNet', depth=18)),
    student_input=dict(clip_len=8, num_frames=4, size=(112, 96)),
    distill_losses={'ckd': dict(type='CKDLoss', tau=1.0, loss_weight=-10.0)})
train_cfg = dict(max_epochs=3, flags=[True, None, 'a'])
"""


def test_literals_are_read():
    assert read_assignment(CONFIG_TEXT, 'model', 'student_input') == dict(
        clip_len=8, num_frames=4, size=(112, 96))
    assert read_assignment(CONFIG_TEXT, 'model', 'distill_losses', 'ckd') == dict(
        type='CKDLoss', tau=1.0, loss_weight=-10.0)
    assert read_assignment(CONFIG_TEXT, 'train_cfg') == dict(max_epochs=3,
                                                             flags=[True, None, 'a'])
    with pytest.raises(KeyError):
        read_assignment(CONFIG_TEXT, 'optim_wrapper')
    with pytest.raises(KeyError):
        read_assignment(CONFIG_TEXT, 'model', 'teacher')


@pytest.mark.parametrize('value', [
    "__import__('os').system('touch {marker}')",
    "open('{marker}', 'w')",
    "dict(a=1, **__import__('os').environ)",
    "[x for x in (open('{marker}', 'w'),)]",
    "{{**dict(a=1)}}",
    "os.path",
])
def test_anything_else_is_refused_unrun(value, tmp_path):
    marker = tmp_path / 'ran'
    text = f"import os\nmodel = dict(type='RecognizerDistiller', student_input={value})\n"
    text = text.format(marker=marker)
    with pytest.raises(NotALiteral):
        read_assignment(text, 'model', 'student_input')
    assert not marker.exists()


def test_export_student_reads_the_config_in_the_checkpoint_as_data(tmp_path, capsys):
    """A checkpoint whose stored config would write a file when executed: the
    tool exports the student, reports no view, and nothing runs."""
    marker = tmp_path / 'ran'
    cfg = (f"import os\nos.system('touch {marker}')\n"
           f"model = dict(type='RecognizerDistiller', student_input=open('{marker}', 'w'))\n")
    ckpt = tmp_path / 'distill.pth'
    torch.save(dict(state_dict={'student.w': torch.ones(2)}, meta=dict(cfg=cfg)), ckpt)
    export_student.main([str(ckpt), str(tmp_path / 'student.pth')])
    assert not marker.exists()
    out = capsys.readouterr().out
    assert 'could not be read as data (NotALiteral: line 3: Call is not a literal)' in out
    assert torch.load(tmp_path / 'student.pth', weights_only=True)['meta'].get(
        'student_input') is None
    # the same checkpoint with a plain config: the view is read
    cfg = CONFIG_TEXT.replace("size=(112, 96)", "size=112")
    torch.save(dict(state_dict={'student.w': torch.ones(2)}, meta=dict(cfg=cfg)), ckpt)
    export_student.main([str(ckpt), str(tmp_path / 'student2.pth')])
    assert torch.load(tmp_path / 'student2.pth', weights_only=True)['meta'][
        'student_input'] == dict(clip_len=8, num_frames=4, size=112)


class _Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = torch.nn.LayerNorm(4)
        self.register_buffer('mask', torch.triu(torch.ones(3, 3)))
        self.scale = torch.nn.Parameter(torch.tensor(2.0))

    def forward(self, x):
        return self.ln(x) * self.scale


class _WithSetstate(torch.nn.Module):
    """A scripted module whose __setstate__ (code in the archive) changes its
    state: whoever runs the code sees 42."""

    def __init__(self):
        super().__init__()
        self.register_buffer('weight', torch.ones(3))

    def forward(self, x):
        return x + self.weight.sum()

    @torch.jit.export
    def __getstate__(self):
        return (self.weight, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[torch.Tensor, bool]):
        self.weight = torch.full([3], 42.0)
        self.training = state[1]


@pytest.mark.parametrize('dtype', [torch.float32, torch.float16])
def test_torchscript_tensors_read_as_data_equal_jit_load(tmp_path, dtype):
    from vtd_mm.models.clip.torchscript_archive import read_torchscript_tensors
    torch.manual_seed(0)
    model = torch.jit.trace(torch.nn.Sequential(_Block(), torch.nn.Linear(4, 2)),
                            torch.randn(1, 3, 4)).to(dtype)
    path = tmp_path / 'traced.pt'
    torch.jit.save(model, str(path))
    ours, ref = read_torchscript_tensors(str(path)), torch.jit.load(str(path)).state_dict()
    assert set(ours) == set(ref) == {'0.ln.weight', '0.ln.bias', '0.mask', '0.scale',
                                     '1.weight', '1.bias'}
    for key, value in ref.items():
        assert ours[key].dtype == value.dtype and torch.equal(ours[key], value), key


def test_torchscript_code_is_not_run(tmp_path):
    """A class with its own __setstate__ keeps its state in a form only its
    code reads: refused, and the code never runs."""
    from vtd_mm.models.clip.weights_file import read_clip_file
    path = tmp_path / 'with_code.pt'
    torch.jit.save(torch.jit.script(_WithSetstate()), str(path))
    assert torch.equal(torch.jit.load(str(path)).weight, torch.full([3], 42.0))  # code ran
    with pytest.raises(ValueError, match=r'own __setstate__.*VTD_MM_TRUSTED_TORCHSCRIPT=1'):
        read_clip_file(str(path))


def test_torchscript_archive_naming_other_globals_is_refused(tmp_path, monkeypatch):
    """A data.pkl that names a function (os.system) is refused before anything
    is called; the message says how to opt in to torch.jit.load."""
    import pickle
    import zipfile

    from vtd_mm.models.clip.weights_file import read_clip_file
    marker = tmp_path / 'ran'

    class Evil:
        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))
    path = tmp_path / 'evil.pt'
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('evil/data.pkl', pickle.dumps(Evil(), protocol=2))
        zf.writestr('evil/code/__torch__/m.py', 'class M(Module):\n  pass\n')
    with pytest.raises(ValueError, match=r'names posix.system.*VTD_MM_TRUSTED_TORCHSCRIPT=1'):
        read_clip_file(str(path))
    assert not marker.exists()


def test_outputs_never_replace_inputs_or_existing_files(tmp_path, monkeypatch):
    """export_student.py (and publish_checkpoint.py, same helpers): OUT = the
    input is refused and the input is intact; an existing OUT needs
    --overwrite; a save that fails leaves the old file and no part file."""
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={'student.w': torch.ones(2)}, meta={}), ckpt)
    before = ckpt.read_bytes()
    with pytest.raises(SystemExit, match='is the input'):
        export_student.main([str(ckpt), str(tmp_path / '.' / 'epoch_1.pth')])
    assert ckpt.read_bytes() == before
    out = tmp_path / 'student.pth'
    out.write_bytes(b'a file of the user')
    with pytest.raises(SystemExit, match='student.pth exists.*--overwrite'):
        export_student.main([str(ckpt), str(out)])
    assert out.read_bytes() == b'a file of the user'

    def disk_full(obj, path, *args, **kwargs):
        with open(path, 'wb') as f:
            f.write(b'half a checkpoint')
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(export_student.torch, 'save', disk_full)
    with pytest.raises(OSError, match='No space left'):
        export_student.main([str(ckpt), str(out), '--overwrite'])
    assert out.read_bytes() == b'a file of the user'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth', 'student.pth']
    monkeypatch.undo()
    export_student.main([str(ckpt), str(out), '--overwrite'])
    assert torch.load(out, weights_only=True)['state_dict']['w'].sum() == 2


def test_publish_checkpoint_refuses_its_input_and_existing_files(tmp_path):
    import publish_checkpoint
    cfg = os.path.join(ROOT, 'tests', 'configs', 'vtd_tiny.py')
    ckpt = tmp_path / 'epoch_2.pth'
    ckpt.write_bytes(b'a training checkpoint with its optimizer')
    for out, said in ((ckpt, 'is the input'), (tmp_path / 'sub' / '..' / 'epoch_2.pth',
                                                'is the input')):
        with pytest.raises(SystemExit, match=said):
            publish_checkpoint.main([cfg, str(ckpt), str(out)])
    other = tmp_path / 'published.pth'
    other.write_bytes(b'x')
    with pytest.raises(SystemExit, match='exists.*--overwrite'):
        publish_checkpoint.main([cfg, str(ckpt), str(other)])
    assert ckpt.read_bytes() == b'a training checkpoint with its optimizer'
    assert other.read_bytes() == b'x'


def test_pretraining_tool_does_not_replace_the_shipped_weights(tmp_path, monkeypatch):
    """docs/demo.md's command writes under work_dirs/; the shipped file only
    with --overwrite, checked before any training step."""
    sys.path.insert(0, os.path.join(ROOT, 'tools', 'demo'))
    import pretrain_tiny_clip

    from vtd_mm.demo import WEIGHTS
    before = os.path.getmtime(WEIGHTS)
    monkeypatch.setattr(pretrain_tiny_clip, 'pretrain', lambda *a, **k: pytest.fail('trained'))
    with pytest.raises(SystemExit, match='tiny_clip_world.pt exists.*--overwrite'):
        pretrain_tiny_clip.main(['--seed', '0', '--steps', '1200', '--out', WEIGHTS])
    assert os.path.getmtime(WEIGHTS) == before
    # the documented command: its default output is not the shipped file (it gets as
    # far as training, stopped here)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pytest.fail.Exception, match='trained'):
        pretrain_tiny_clip.main(['--seed', '0', '--steps', '1200'])
