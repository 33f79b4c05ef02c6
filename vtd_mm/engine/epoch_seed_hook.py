"""Random numbers that restart from (seed, epoch) or (seed, iteration), so
that a resumed run draws what an uninterrupted one draws."""
import logging

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dataset import DefaultSampler
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Make resuming at an epoch boundary exact, whatever the dataloader's
    workers.

    mmengine seeds the random streams once, at the start of a run, and does
    not save them in checkpoints; a resumed run starts them again from the
    seed, while an uninterrupted one has carried them through the earlier
    epochs. Two streams matter:

    - **the model's** (torch's; dropout, e.g. the fusion's attention
      dropout): before each training iteration this hook seeds it from
      ``(randomness seed, iteration)``, after the batch is loaded, so that
      what the dataloader draws from it (a new iterator's worker seeds, which
      persistent workers do not draw again) does not shift the masks;
    - **the augmentations'** (Python's and NumPy's, in each dataloader
      worker): workers started anew each epoch restart theirs, but persistent
      workers (``persistent_workers=True``, as in the shipped configs) and
      ``num_workers=0`` carry theirs on. Before each training epoch this hook
      has the training dataset draw each sample's numbers from
      ``(randomness seed, epoch, sample index)``
      (:meth:`~vtd_mm.datasets.CheckedVideoDataset.seed_samples`): the same
      clips with any ``num_workers``.

    The augmentation part applies where an index is drawn at most once per
    epoch: an epoch-based loop, mmengine's ``DefaultSampler``, and a dataset
    that offers ``seed_samples`` (``CheckedVideoDataset``) as the loader's
    dataset itself. Elsewhere (an iteration-based loop, a repeating sampler,
    a dataset wrapper, MMAction2's ``VideoDataset``) the augmentations are
    left to the workers' streams, and the hook says once that resuming is
    exact there only with workers started anew each epoch.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        dataset = loader.dataset
        why = None
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            why = f'the loop is a {type(runner.train_loop).__name__}, not epoch-based'
        elif not isinstance(loader.sampler, DefaultSampler):
            why = f'the sampler is a {type(loader.sampler).__name__}, not DefaultSampler'
        elif not hasattr(dataset, 'seed_samples'):
            why = f'the dataset is a {type(dataset).__name__}, not CheckedVideoDataset'
        self.dataset = None if why else dataset
        if why:
            print_log(f'EpochSeedHook: augmentations are drawn from each worker\'s stream '
                      f'({why}); a resumed run is exact only with workers started anew each '
                      'epoch (num_workers > 0, persistent_workers=False).',
                      logger='current', level=logging.WARNING)

    def before_train_epoch(self, runner) -> None:
        if self.dataset is not None:
            self.dataset.seed_samples(runner.seed, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed = np.random.SeedSequence([runner.seed, runner.iter]).generate_state(1)[0]
        torch.manual_seed(int(seed))
