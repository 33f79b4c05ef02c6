"""Log the videos a training dataset skipped as undecodable."""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log


@HOOKS.register_module()
class SkippedVideosHook(Hook):
    """Name every video skipped by ``CheckedVideoDataset(skip_broken=True)``.

    The dataset runs in dataloader workers; the names of the videos it
    skipped travel with the batch (``skipped_videos`` in a data sample's
    metainfo). This hook logs each one as a warning with a running count, and
    after each epoch a summary (also kept in the message hub as
    ``train/skipped_videos``). Nothing is logged when nothing was skipped.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self):
        self._epoch = []
        self.total = 0

    def before_train_epoch(self, runner) -> None:
        self._epoch = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        samples = (data_batch or {}).get('data_samples', []) if isinstance(data_batch, dict) else []
        for sample in samples:
            for name in sample.metainfo.get('skipped_videos', ()):
                self._epoch.append(name)
                self.total += 1
                print_log(f'skipped undecodable video {name} ({len(self._epoch)} this epoch, '
                          f'{self.total} in all)', logger='current', level=30)

    def after_train_epoch(self, runner) -> None:
        runner.message_hub.update_info('train/skipped_videos', list(self._epoch))
        if self._epoch:
            names = sorted(set(self._epoch))
            more = f' and {len(names) - 10} more' if len(names) > 10 else ''
            shown = ', '.join(names[:10]) + more
            print_log(f'epoch {runner.epoch + 1}: skipped {len(self._epoch)} undecodable videos '
                      f'({len(names)} files): {shown}. Clean the list with '
                      'tools/data/check_videos.py.', logger='current', level=30)
