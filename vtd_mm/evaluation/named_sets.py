"""Named test sets of a protocol config (evaluated by
:func:`vtd_mm.apis.evaluate_test_sets`)."""
import copy
from typing import List, Optional, Sequence

from mmengine.config import Config


def named_test_sets(cfg: Config, names: Optional[Sequence[str]] = None,
                    sets=None) -> List[dict]:
    """The named test sets of a config.

    A protocol config lists them as ``test_sets = [dict(name=..., group=...,
    dataset=dict(ann_file=..., data_prefix=..., metainfo=dict(classes=...)),
    ...)]`` or as a dict by name, ``test_sets = dict(base=dict(group=...,
    dataset=...), ...)`` (a child config then updates one set by name);
    ``dataset`` updates ``test_dataloader.dataset`` (no ``dataset``: the test
    loader as it is). A config without ``test_sets`` has one set: its
    ``test_dataloader`` (group ``'test'``). ``sets``, in either form, stands
    for the config's ``test_sets``.
    """
    if sets is None:
        sets = cfg.get('test_sets')
    if not sets:
        sets = [dict(name='test', group='test', dataset={})]
    if isinstance(sets, dict):
        sets = [dict(value, name=name) for name, value in sets.items()]
    sets = [dict(s) for s in sets]
    seen = set()
    for s in sets:
        if 'name' not in s:
            raise ValueError(f'test set {s} has no name.')
        if s['name'] in seen:
            raise ValueError(f"test set name {s['name']!r} appears twice.")
        seen.add(s['name'])
        s.setdefault('group', s['name'])
        s.setdefault('dataset', {})
    if names:
        unknown = [n for n in names if n not in seen]
        if unknown:
            raise ValueError(f'unknown test sets {unknown}; the config has {sorted(seen)}.')
        sets = [s for s in sets if s['name'] in names]
    return sets


def loader_for_set(cfg: Config, test_set: dict) -> dict:
    """``cfg.test_dataloader`` with the dataset settings of ``test_set``
    (nested dicts are updated key by key; ``metainfo`` is replaced whole)."""
    loader = copy.deepcopy(cfg.test_dataloader)
    _update(loader['dataset'], copy.deepcopy(dict(test_set['dataset'])))
    return loader


def _update(base: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key != 'metainfo':
            _update(base[key], value)
        else:
            base[key] = value
