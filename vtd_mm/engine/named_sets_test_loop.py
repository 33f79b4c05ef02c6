"""A test loop over the named test sets of a protocol config."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmaction.registry import LOOPS
from mmengine.runner import TestLoop

from ..evaluation.named_sets import loader_for_set, named_test_sets


@LOOPS.register_module()
class NamedSetsTestLoop(TestLoop):
    """MMAction2's test loop, run once per test set of ``cfg.test_sets``.

    Each set is ``test_dataloader`` updated by the set's ``dataset`` (see
    :func:`~vtd_mm.evaluation.named_test_sets`); the hooks see one test epoch
    per set, so :class:`~vtd_mm.engine.LabelSetHook` gives the model each
    set's label set and the logger prints each set's metrics. The returned
    metrics are ``'<set>/<metric>'`` (``'novel/acc/top1'``), and a metric
    that writes a file (``--dump``: ``out_file_path``) writes one per set,
    ``<name>.<set>.pkl``. A config without ``test_sets`` has one set, whose
    metrics and files keep their plain names, as with
    :class:`~mmengine.runner.TestLoop`.

    Args:
        sets: names of the sets to run (default: all, in their order).
        test_sets: the sets (a list or a dict by name, as in a config); None
            takes the config's ``test_sets``, so that a child config that
            updates one set by name reaches the loop.
    """

    def __init__(self, runner, dataloader, evaluator, fp16: bool = False,
                 sets: Optional[Sequence[str]] = None, test_sets=None):
        self.plain = not (test_sets or runner.cfg.get('test_sets'))
        self.test_sets: List[dict] = named_test_sets(runner.cfg, sets, test_sets)
        # built here: the first set's loader (the config's test_dataloader
        # itself may name a list that is not there, e.g. zero-shot's K400 val)
        super().__init__(runner, loader_for_set(runner.cfg, self.test_sets[0]), evaluator, fp16)
        self.results: List[dict] = []
        self._out_files: Dict[int, str] = {}

    def run(self) -> Dict[str, float]:
        self.runner.call_hook('before_test')
        plain = self.plain
        metrics_all, self.results = {}, []
        for i, test_set in enumerate(self.test_sets):
            self.runner.logger.info(f"test set {test_set['name']} (group {test_set['group']})")
            if i:
                self.dataloader = self.runner.build_dataloader(
                    loader_for_set(self.runner.cfg, test_set), seed=self.runner.seed)
            metrics = self._run_set(None if plain else test_set['name'])
            self.results.append(dict(name=test_set['name'], group=test_set['group'],
                                     metrics=metrics))
            metrics_all.update(metrics if plain else
                               {f"{test_set['name']}/{k}": v for k, v in metrics.items()})
        self.runner.call_hook('after_test')
        return metrics_all

    def _run_set(self, name: Optional[str]) -> Dict[str, float]:
        """One test epoch on ``self.dataloader``, as TestLoop.run; files of
        metrics get the set's ``name``."""
        for metric in self.evaluator.metrics:
            path = getattr(metric, 'out_file_path', None)
            if path is not None:
                path = self._out_files.setdefault(id(metric), path)
                stem, ext = osp.splitext(path)
                metric.out_file_path = path if name is None else f'{stem}.{name}{ext}'
        meta = getattr(self.dataloader.dataset, 'metainfo', None)
        self.evaluator.dataset_meta = self.runner.visualizer.dataset_meta = meta
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        self.test_loss.clear()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if self.test_loss:  # losses a model's test_step returned: their means, and the sum
            means = {name: buffer.mean() for name, buffer in self.test_loss.items()}
            metrics.update(means, test_loss=sum(v for k, v in means.items() if 'loss' in k))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        return metrics
