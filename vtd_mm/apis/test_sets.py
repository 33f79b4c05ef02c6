"""Checkpoints evaluated on the named test sets of a protocol config."""
import copy
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.config import Config

from ..engine import build_runner, run_logged


def evaluate_test_sets(cfg: Config, checkpoints: Sequence[Optional[str]],
                       sets: Sequence[dict], metric: str = 'acc/top1',
                       scale: float = 100.0) -> List[dict]:
    """Test every checkpoint on every set; one record per pair.

    One Runner (one model, one checkpoint load) per checkpoint, whose test
    loop is :class:`~vtd_mm.engine.NamedSetsTestLoop` over ``sets``: the sets
    run one after another with the config's evaluator, and the
    :class:`~vtd_mm.engine.LabelSetHook` gives the model the label set of
    each set (the codebook is built once per set).

    Returns:
        list[dict]: ``name``, ``group``, ``checkpoint``, ``value`` (``metric``
        x ``scale``, top-1 in % by default) and all ``metrics``.
    """
    records = []
    for checkpoint in checkpoints:
        run_cfg = copy.deepcopy(cfg)
        run_cfg.load_from = checkpoint
        run_cfg.test_cfg = dict(run_cfg.get('test_cfg') or {}, type='NamedSetsTestLoop',
                                sets=[s['name'] for s in sets])
        runner = build_runner(run_cfg)
        run_logged(runner, 'test')
        for result in runner.test_loop.results:
            metrics = result['metrics']
            if metric not in metrics:
                raise KeyError(f'metric {metric!r} not among the test metrics '
                               f'{sorted(metrics)}; pass --metric.')
            records.append(dict(name=result['name'], group=result['group'],
                                checkpoint=_short(checkpoint),
                                value=float(metrics[metric]) * scale,
                                metrics={k: float(v) for k, v in metrics.items()}))
    return records


def _short(checkpoint: Optional[str]) -> str:
    return 'none' if checkpoint is None else osp.basename(checkpoint)
