"""Each training sample's augmentation is drawn from (seed, epoch, index)."""
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch.utils.data import DataLoader

from vtd_mm.datasets import CheckedVideoDataset
from vtd_mm.engine import EpochSeedHook

from ..conftest import warnings_logged
from ..videos import make_dataset

PIPELINE = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=2, num_clips=1),
            dict(type='DecordDecode'), dict(type='RandomResizedCrop'),
            dict(type='Resize', scale=(16, 16), keep_ratio=False),
            dict(type='Flip', flip_ratio=0.5), dict(type='FormatShape', input_format='NCHW'),
            dict(type='PackActionInputs')]


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('seeded')
    lists = make_dataset(str(root), per_class=2, num_frames=24, splits=('train', ))
    return CheckedVideoDataset(ann_file=lists['train'], pipeline=PIPELINE,
                               data_prefix=dict(video=str(root / 'videos')))


def clips(dataset, order, num_workers=0):
    loader = DataLoader(dataset, batch_size=None, sampler=order, num_workers=num_workers,
                        persistent_workers=num_workers > 0, collate_fn=lambda x: x)
    return {i: sample['inputs'] for i, sample in zip(order, loader)}


def test_same_clip_for_the_same_seed_epoch_and_index(dataset):
    dataset.seed_samples(3, 1)
    state = (random.getstate(), np.random.get_state()[1].copy())
    main = clips(dataset, [0, 1, 2, 3, 4, 5])
    # the global streams of the caller are left as they were
    assert random.getstate() == state[0]
    assert np.array_equal(np.random.get_state()[1], state[1])
    # another order, in two workers: the same clip for each index
    workers = clips(dataset, [5, 3, 1, 0, 2, 4], num_workers=2)
    assert all(torch.equal(main[i], workers[i]) for i in main)
    # another epoch: other crops for every sample
    dataset.seed_samples(3, 2)
    other = clips(dataset, [0, 1, 2, 3, 4, 5])
    assert not any(torch.equal(main[i], other[i]) for i in main)
    dataset.seed_samples(0, -1)   # off: each call draws new numbers
    assert not torch.equal(dataset[0]['inputs'], dataset[0]['inputs'])


def runner(loop, sampler, dataset):
    return SimpleNamespace(train_loop=loop, seed=7, epoch=4, iter=40,
                           train_dataloader=SimpleNamespace(sampler=sampler, dataset=dataset))


def test_hook_seeds_only_where_an_index_is_drawn_once_per_epoch(dataset, mmlog):
    loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)
    hook = EpochSeedHook()
    hook.before_train(runner(loop, DefaultSampler(dataset, seed=0), dataset))
    hook.before_train_epoch(runner(loop, None, dataset))
    assert not warnings_logged(mmlog)
    seeded = dataset[0]['inputs']
    assert torch.equal(dataset[0]['inputs'], seeded)
    dataset.seed_samples(7, 4)
    assert torch.equal(dataset[0]['inputs'], seeded)
    dataset.seed_samples(0, -1)
    for loop_, sampler, data, why in [
            (IterBasedTrainLoop.__new__(IterBasedTrainLoop), DefaultSampler(dataset), dataset,
             'the loop is a IterBasedTrainLoop'),
            (loop, InfiniteSampler(dataset), dataset, 'the sampler is a InfiniteSampler'),
            (loop, DefaultSampler(dataset), [1, 2], 'the dataset is a list')]:
        hook.before_train(runner(loop_, sampler, data))
        hook.before_train_epoch(runner(loop_, sampler, data))
        assert why in mmlog.text and "resumed run is exact only" in mmlog.text
    assert not torch.equal(dataset[0]['inputs'], dataset[0]['inputs'])   # left off


def test_hook_seeds_dropout_per_iteration_after_the_batch_is_loaded():
    hook = EpochSeedHook()
    run = runner(None, None, None)
    draws = []
    for _ in range(2):
        torch.rand(5)                       # whatever drew before (a loader's worker seeds)
        hook.before_train_iter(run, batch_idx=0, data_batch=None)
        draws.append(torch.rand(3))
    assert torch.equal(draws[0], draws[1])
    run.iter += 1
    hook.before_train_iter(run, batch_idx=1, data_batch=None)
    assert not torch.equal(torch.rand(3), draws[0])
