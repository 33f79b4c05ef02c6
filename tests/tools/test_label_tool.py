"""tools/data/build_label_file.py writes label files the encoder reads."""
import os
import sys

from vtd_mm.datasets import load_class_names

from ..paths import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
import build_label_file  # noqa: E402


def test_class_ind_and_folders(tmp_path):
    ind = tmp_path / 'classInd.txt'
    ind.write_text('1 ApplyEyeMakeup\n2 JumpingJack\n3 YoYo\n')
    out = tmp_path / 'ucf.csv'
    build_label_file.main(['--class-ind', str(ind), str(out)])
    assert load_class_names(str(out)) == ['Apply Eye Makeup', 'Jumping Jack', 'Yo Yo']
    for name in ('shoot_bow', 'brush_hair', 'kick_ball', 'kick'):
        os.makedirs(tmp_path / 'videos' / name)
    out = tmp_path / 'hmdb.csv'
    build_label_file.main(['--folders', str(tmp_path / 'videos'), str(out)])
    assert load_class_names(str(out)) == ['brush hair', 'kick', 'kick ball', 'shoot bow']
