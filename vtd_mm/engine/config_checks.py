"""Checks of a config and its ``--cfg-options`` that stop a run before it
builds anything, naming the key and the fix."""
import ast
import difflib
import logging
import os.path as osp
from typing import Any, Dict, List, Optional

from mmaction.registry import HOOKS
from mmengine.config import Config
from mmengine.logging import print_log

# top-level keys a run reads after the config is parsed: mmengine's Runner,
# MMAction2's and vtd_mm's tools
RUN_KEYS = frozenset((
    'model', 'work_dir', 'experiment_name', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
    'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks',
    'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor',
    'log_level', 'visualizer', 'default_scope', 'randomness', 'runner_type',
    'model_wrapper_cfg', 'compile', 'strategy', 'custom_imports', 'effective_batch_size',
    'test_sets', 'dist_params'))


def _paths_of(node, key, prefix=''):
    """Dotted paths of entries named ``key`` inside ``node``."""
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            path = f'{prefix}{k}'
            if k == key and prefix:
                found.append(path)
            found += _paths_of(v, key, path + '.')
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            found += _paths_of(v, key, f'{prefix}{i}.')
    return found


def warn_unread_options(cfg, options) -> None:
    """Warn for each ``--cfg-options`` key whose top-level name is a variable
    of the config file (``max_epochs = 80``): it was read while the file was
    parsed, so setting it afterwards changes nothing."""
    for key in options or {}:
        top = key.split('.')[0]
        if top in RUN_KEYS:
            continue
        where = [p for p in _paths_of(cfg.to_dict(), top) if p.split('.')[0] in RUN_KEYS]
        hint = (f': set {", ".join(f"{p}=..." for p in where[:3])} instead' if where
                else ': set the entries that use it instead')
        print_log(f'--cfg-options {key}: {top} is a variable of the config file, read when '
                  f'the file was parsed; setting it now changes nothing{hint}.',
                  logger='current', level=logging.WARNING)


class ConfigError(ValueError):
    """A config or an option that cannot run as written."""


MISSING = object()


def _lookup(tree: dict, key: str):
    """The value at the dotted ``key`` of ``tree``, or :data:`MISSING`."""
    node = tree
    for part in key.split('.'):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def _kind(value) -> Optional[str]:
    """What a config value is, where text in its place would be an error."""
    if isinstance(value, bool):
        return 'True/False'
    if isinstance(value, (int, float)):
        return 'a number'
    if isinstance(value, dict):
        return 'a dict'
    return None  # a list may give way to text: class names to a label file


def check_option_types(cfg, options: Dict[str, Any]) -> None:
    """A ``--cfg-options`` value that is text where the config has a number,
    a flag or a dict is a typo (``lr=fast``) or Python that the option
    parser does not read (``fusion=dict(attn_drop=0.2)``): refused, naming
    the key."""
    tree = cfg.to_dict() if isinstance(cfg, Config) else cfg
    for key, value in (options or {}).items():
        old = _lookup(tree, key)
        kind = None if old is MISSING else _kind(old)
        if kind is None or not isinstance(value, str):
            continue
        hint = ''
        if kind == 'a dict':
            hint = (f' --cfg-options reads numbers, text, True/False/None, lists [a,b] and '
                    f'tuples (a,b), not dict(...): set the entries one by one, e.g. '
                    f'{key}.{next(iter(old), "name")}=VALUE.')
        raise ConfigError(f'--cfg-options {key}={value!r}: the config has {kind} there '
                          f'({old!r}), not text.{hint}')


def merge_options(cfg, options: Optional[Dict[str, Any]]):
    """``cfg.merge_from_dict(options)`` (mmengine's ``--cfg-options``), after
    :func:`check_option_types`; then warns for keys nothing reads
    (:func:`warn_unread_options`)."""
    if options:
        check_option_types(cfg, options)
        cfg.merge_from_dict(options)
        warn_unread_options(cfg, options)
    return cfg


def check_batch_sizes(cfg) -> None:
    """Each dataloader's ``batch_size`` is a whole number of clips, at least 1."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        size = loader.get('batch_size', 1) if isinstance(loader, dict) else 1
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f'{name}.batch_size={size!r}: give a whole number of clips per '
                              'process, at least 1.')


def _registered(registry) -> List[str]:
    names = []
    while registry is not None:
        names += list(registry.module_dict)
        registry = registry.parent
    return names


def check_hook_types(cfg) -> None:
    """Every hook of ``default_hooks`` / ``custom_hooks`` named by a
    registered name; a misspelt one is refused with the nearest names. (A
    dotted name is an import path, which mmengine follows: not checked.)"""
    hooks = [(f'default_hooks.{k}', v) for k, v in (cfg.get('default_hooks') or {}).items()]
    hooks += [(f'custom_hooks.{i}', v) for i, v in enumerate(cfg.get('custom_hooks') or [])]
    known = None
    for where, hook in hooks:
        kind = hook.get('type') if isinstance(hook, dict) else None
        if not isinstance(kind, str) or '.' in kind:
            continue
        known = known if known is not None else _registered(HOOKS)
        if kind not in known:
            near = difflib.get_close_matches(kind, known, n=3)
            raise ConfigError(f'{where}.type={kind!r} is not a registered hook'
                              + (f'; did you mean {" or ".join(map(repr, near))}?' if near
                                 else '') + ' (a hook of your own must be imported: '
                              'custom_imports=dict(imports=[...]))')


def _base_files(path: str) -> List[str]:
    """The ``_base_`` files a config names, read as data."""
    try:
        tree = ast.parse(open(path, encoding='utf-8').read(), filename=path)
    except SyntaxError:
        return []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            value = [value] if isinstance(value, str) else list(value)
            return [osp.join(osp.dirname(path), v) for v in value
                    if isinstance(v, str) and '::' not in v]
    return []


def syntax_error_of(path: str, seen=None) -> Optional[str]:
    """``FILE, line N: message`` for the first file of ``path`` and its
    ``_base_`` files that is not valid Python (mmengine reports such an
    error as ``File "<unknown>"``); None when all parse."""
    seen = set() if seen is None else seen
    path = osp.abspath(path)
    if path in seen or not osp.isfile(path):
        return None
    seen.add(path)
    try:
        ast.parse(open(path, encoding='utf-8').read(), filename=path)
    except SyntaxError as err:
        line = (err.text or '').strip()
        return f'{path}, line {err.lineno}: {err.msg}' + (f': {line}' if line else '')
    for base in _base_files(path):
        found = syntax_error_of(base, seen)
        if found:
            return found
    return None


def read_config(path: str):
    """``Config.fromfile(path)``; a syntax error names the file (the config
    or one of its ``_base_`` files) and the line."""
    try:
        return Config.fromfile(path)
    except SyntaxError as err:
        where = syntax_error_of(path)
        raise ConfigError(f'config {path} cannot be read: '
                          + (where or f'{err.msg}, line {err.lineno}')) from None
