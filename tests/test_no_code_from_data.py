"""Text stored in a checkpoint is read as data, never executed."""
import os
import sys

import pytest
import torch

from vtd_mm.utils import NotALiteral, read_assignment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
