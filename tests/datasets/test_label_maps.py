"""Label maps in MMAction2's format (one name per line) beside every csv."""
import glob
import os

import pytest

from vtd_mm.datasets import LABEL_DIR, load_class_names
from vtd_mm.demo.dataset import order_class_names
from vtd_mm.demo.world import base_novel_split, class_names


def read_label_map(path):
    """As MMAction2's demo/demo.py and inferencer read a label map."""
    with open(path) as f:
        return [line.strip() for line in f.readlines()]


def test_every_csv_has_its_label_map():
    csvs = sorted(glob.glob(os.path.join(LABEL_DIR, '*.csv')))
    assert len(csvs) == 15
    for csv in csvs:
        txt = csv[:-4] + '.txt'
        # line i is class id i, as MMAction2 reads it (not "6,climb stairs")
        assert read_label_map(txt) == load_class_names(csv), txt
        assert load_class_names(txt) == load_class_names(csv)


def test_demo_world_label_maps():
    base, novel = base_novel_split()
    for name, names in (('all', class_names()), ('base', base), ('novel', novel),
                        ('order', order_class_names())):
        assert load_class_names(f'demo_world_{name}.txt') == names


def test_empty_class_names_are_refused(tmp_path):
    csv = tmp_path / 'labels.csv'
    csv.write_text('id,name\n0,abseiling\n1,\n')
    with pytest.raises(ValueError, match=r"row 2 \('1,'\) gives class 1 an empty name"):
        load_class_names(str(csv))
    with pytest.raises(ValueError, match=r'empty class names \(ids \[1\]\)'):
        load_class_names(['abseiling', ' '])
