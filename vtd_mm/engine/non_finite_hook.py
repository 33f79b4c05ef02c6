"""Stop a run whose losses or scores are not finite, naming what and where."""
import math

import torch
from mmaction.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class NonFiniteHook(Hook):
    """Raise ``FloatingPointError`` at the first NaN or infinite loss of a
    training iteration (naming each loss, the epoch and the iteration) and at
    the first non-finite ``pred_score`` of a validation or test batch (naming
    the video's entry in the list). Without it a diverged run goes on to its
    end, saves "best" checkpoints, and a test reports an accuracy computed on
    NaN scores.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        scalars = {k: float(v.detach()) if torch.is_tensor(v) else float(v)
                   for k, v in (outputs or {}).items()
                   if isinstance(v, (int, float)) or torch.is_tensor(v) and v.numel() == 1}
        bad = {k: v for k, v in scalars.items() if not math.isfinite(v)}
        if bad:
            raise FloatingPointError(
                f'training diverged at epoch {runner.epoch + 1}, iteration {runner.iter + 1}: '
                + ', '.join(f'{k} = {v}' for k, v in bad.items()) + '. Lower the learning '
                'rate (or check --cfg-options), and resume from a checkpoint before this.')

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._check_scores(runner, runner.val_dataloader, batch_idx, outputs, 'validation')

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._check_scores(runner, runner.test_dataloader, batch_idx, outputs, 'test')

    @staticmethod
    def _check_scores(runner, loader, batch_idx, outputs, what) -> None:
        for i, sample in enumerate(outputs or []):
            score = getattr(sample, 'pred_score', None)
            if torch.is_tensor(score) and not bool(torch.isfinite(score).all()):
                index = batch_idx * (loader.batch_size or 1) + i
                try:
                    name = loader.dataset.get_data_info(index).get('filename', '?')
                except Exception:  # a dataset without per-index info
                    name = '?'
                raise FloatingPointError(
                    f'{what} batch {batch_idx}, sample {i} (entry {index + 1} of the list, '
                    f'{name}): the model gives NaN or infinite scores. Its weights are '
                    'damaged or the run diverged: check the checkpoint.')
