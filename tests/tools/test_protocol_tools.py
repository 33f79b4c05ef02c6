"""K-shot lists, base / novel splits, mean +- std / HM, label sets from dataset metainfo."""
import json
import math
import random
import statistics
import subprocess
import sys

import pytest
from mmaction.datasets import VideoDataset

from vtd_mm.datasets import class_names_from_metainfo, load_class_names
from vtd_mm.datasets.splits import (
    by_class,
    draw_k_shot,
    make_base_novel,
    read_annotation_list,
    split_label_set,
)
from vtd_mm.evaluation import format_table, harmonic_mean, mean_std, summarize

from ..paths import ROOT  # noqa: E402

COUNTS = {0: 20, 1: 17, 2: 16, 3: 31, 4: 25}  # samples per class


def write_list(path, counts=COUNTS, seed=0):
    rows = [(f'class{c}/video_{i:03d}.mp4', c) for c, n in counts.items() for i in range(n)]
    random.Random(seed).shuffle(rows)  # classes interleaved, as in real lists
    with open(path, 'w') as f:
        f.writelines(f'{p} {c}\n' for p, c in rows)
    return rows


def test_k_shot_lists_have_exactly_k_per_class_and_follow_the_seed(tmp_path):
    full = tmp_path / 'train.txt'
    rows = write_list(full)
    out = tmp_path / 'fs'
    cmd = [sys.executable, 'tools/data/make_protocol_splits.py', 'kshot', str(full),
           '--shots', '2', '16', '--seeds', '1', '2', '--out-dir', str(out)]
    printed = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert 'train_16shot_s2.txt (80 lines)' in printed
    first = {}
    for k in (2, 16):
        for seed in (1, 2):
            path = out / f'train_{k}shot_s{seed}.txt'
            drawn = read_annotation_list(str(path))
            counts = {c: len(v) for c, v in by_class(drawn).items()}
            assert counts == {c: k for c in COUNTS}
            assert len(set(drawn)) == len(drawn) and set(drawn) <= set(rows)
            first[k, seed] = path.read_bytes()
    assert first[2, 1] != first[2, 2] and first[16, 1] != first[16, 2]
    # the same command gives the same bytes
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    for (k, seed), data in first.items():
        assert (out / f'train_{k}shot_s{seed}.txt').read_bytes() == data
    # a class's draw depends on its own samples only (not on the other classes)
    samples = read_annotation_list(str(full))
    alone = draw_k_shot([s for s in samples if s[1] == 3], 4, seed=7)
    assert alone == [s for s in draw_k_shot(samples, 4, seed=7) if s[1] == 3]


def test_k_shot_errors_are_clear(tmp_path):
    full = tmp_path / 'train.txt'
    write_list(full)
    samples = read_annotation_list(str(full))
    with pytest.raises(ValueError, match='fewer than 17 samples'):
        draw_k_shot(samples, 17, seed=0)  # class 2 has 16
    with pytest.raises(ValueError, match='no sample'):
        draw_k_shot(samples, 2, seed=0, classes=[9])
    bad = tmp_path / 'bad.txt'
    bad.write_text('a.mp4 0\nb.mp4 zero\n')
    with pytest.raises(ValueError, match='line 2'):
        read_annotation_list(str(bad))
    result = subprocess.run([sys.executable, 'tools/data/make_protocol_splits.py', 'kshot',
                             str(tmp_path / 'missing.txt'), '--out-dir', str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and 'annotation list not found' in result.stderr


def test_base_novel_split_relabels_each_list_to_its_own_label_file(tmp_path):
    names = [f'action {c}' for c in COUNTS]
    labels = tmp_path / 'labels.txt'
    labels.write_text('\n'.join(names))
    train, val = tmp_path / 'train.txt', tmp_path / 'val.txt'
    write_list(train)
    val_rows = write_list(val, {c: 3 for c in COUNTS}, seed=1)
    files = make_base_novel(str(labels), str(train), str(val), str(tmp_path / 'b2n'),
                            num_base=3, split_seed=5, shots=4, seeds=(1, 2))
    base, novel = (load_class_names(files[k]) for k in ('base_labels', 'novel_labels'))
    assert len(base) == 3 and len(novel) == 2 and sorted(base + novel) == sorted(names)
    assert (base, novel) == tuple([names[i] for i in ids] for ids in
                                  split_label_set(names, 3, seed=5))
    for key, label_set in (('base_val', base), ('novel_val', novel)):
        got = sorted((p, label_set[c]) for p, c in read_annotation_list(files[key]))
        want = sorted((p, names[c]) for p, c in val_rows if names[c] in label_set)
        assert got == want  # every video keeps its class name
    for seed in (1, 2):
        drawn = read_annotation_list(files[f'base_train_4shot_s{seed}'])
        assert {c: len(v) for c, v in by_class(drawn).items()} == {0: 4, 1: 4, 2: 4}
        assert all(f'class{names.index(base[c])}/' in p for p, c in drawn)
    assert split_label_set(names) == ([0, 1, 2], [3, 4])  # default: first half is base
    with pytest.raises(ValueError, match='num_base'):
        split_label_set(names, 5)


def test_mean_std_and_harmonic_mean_follow_their_formulas():
    values = [61.3, 58.2, 64.0]
    s = mean_std(values)
    assert math.isclose(s['mean'], statistics.mean(values), rel_tol=1e-12)
    assert math.isclose(s['std'], statistics.stdev(values), rel_tol=1e-12)
    assert math.isclose(mean_std(values, ddof=0)['std'], statistics.pstdev(values), rel_tol=1e-12)
    assert mean_std([5.0])['std'] == 0
    assert math.isclose(harmonic_mean(80.0, 60.0), 2 / (1 / 80 + 1 / 60), rel_tol=1e-12)
    assert harmonic_mean(0.0, 0.0) == 0.0
    records = [dict(name=f'hmdb51_split{i}', group='hmdb51', checkpoint='a.pth', value=v)
               for i, v in enumerate(values, 1)]
    records += [dict(name=n, group=n, checkpoint=f's{i}.pth', value=v)
                for i, (b, nv) in enumerate([(70.0, 50.0), (74.0, 46.0), (72.0, 54.0)])
                for n, v in (('base', b), ('novel', nv))]
    summary = summarize(records)
    assert summary['groups']['hmdb51']['n'] == 3
    assert math.isclose(summary['groups']['base']['mean'], 72.0)
    assert math.isclose(summary['groups']['novel']['std'], 4.0)
    pair = summary['base_novel']['all']
    assert math.isclose(pair['hm'], 2 * 72.0 * 50.0 / 122.0, rel_tol=1e-12)  # HM of the means
    table = format_table(summary, 'acc/top1')
    assert '| hmdb51 | 61.17 +- 2.90 | 3 |' in table and '| all | 72.00 | 50.00 | 59.02 |' in table
    json.dumps(summary)  # the JSON written by the tool


def test_label_sets_from_dataset_metainfo(tmp_path):
    csv_file = tmp_path / 'labels.csv'
    csv_file.write_text('id,name\n0,brush hair\n1,"Putting something, something on it"\n2,kick\n')
    txt_file = tmp_path / 'labels.txt'
    txt_file.write_text('brush hair\n\nkick\n')  # a blank line is skipped, as in load_class_names
    names = ['brush hair', 'Putting something, something on it', 'kick']
    ann = tmp_path / 'ann.txt'
    ann.write_text('a.mp4 0\n')
    # mmengine reads an existing file into its lines: a csv arrives as csv lines
    for source, want in ((csv_file, names), (txt_file, ['brush hair', 'kick'])):
        dataset = VideoDataset(ann_file=str(ann), metainfo=dict(classes=str(source)),
                               pipeline=[])
        assert class_names_from_metainfo(dataset.metainfo['classes']) == want
    assert class_names_from_metainfo(['a', 'b']) == ['a', 'b']
    assert class_names_from_metainfo(None) is None
    # shipped label files: by bare name, or their repository path from elsewhere
    assert len(class_names_from_metainfo('hmdb_51_labels.csv')) == 51
    assert len(load_class_names('/elsewhere/vtd_mm/datasets/labels/ucf_101_labels.csv')) == 101
    with pytest.raises(FileNotFoundError):
        load_class_names('data/hmdb51/ucf_101_labels.csv')  # a user path is not redirected
    with pytest.raises(ValueError, match='id,name'):
        class_names_from_metainfo(['id,name', '0,a', 'b'])


def test_shipped_protocol_label_files():
    k400 = load_class_names('kinetics_400_labels.csv')
    for dataset, full, size in (('kinetics_400', k400, 400),
                                ('ssv2_174', load_class_names('ssv2_labels.csv'), 174)):
        base = load_class_names(f'{dataset}_base_labels.csv')
        novel = load_class_names(f'{dataset}_novel_labels.csv')
        assert len(full) == size and sorted(base + novel) == sorted(full)
    assert len(load_class_names('hmdb_51_base_labels.csv')) == 26
    assert len(load_class_names('hmdb_51_novel_labels.csv')) == 25
    assert len(load_class_names('ucf_101_base_labels.csv')) == 51
    assert len(load_class_names('ucf_101_novel_labels.csv')) == 50
    for s in (1, 2, 3):  # Kinetics-600 classes absent from Kinetics-400
        split = load_class_names(f'kinetics_600_zs_split{s}_labels.csv')
        assert len(set(split)) == 160 and not set(split) & set(k400)
