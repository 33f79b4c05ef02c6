"""One CLIP tower (vision or text), built and loaded from ``pretrained``."""
import copy
import os
from typing import Optional

from .activation import choose_activation, stated_activation
from .arch import CLIPArch, describe_arch, resolve_arch
from .pretrained import resolve_pretrained
from .towers import build_tower_module
from .weight_cache import _CACHE
from .weights_file import TEXT, VISUAL, TowerWeights


def load_tower_weights(pretrained, tower: str, arch=None) -> Optional[TowerWeights]:
    """Weights of one tower (``'visual'`` or ``'text'``) from ``pretrained``."""
    arch_name = arch if isinstance(arch, str) else None
    path = resolve_pretrained(pretrained, arch_name and arch_name.replace('/', '-'))
    if path is None:
        return None
    weights = _CACHE.take(path, tower)
    if not weights.state_dict:
        raise ValueError(f'{path} holds no {tower} tower weights '
                         f'(it has: {describe_arch(weights.arch)}).')
    return weights


def _load_strict(module, weights: TowerWeights, tower: str, arch: CLIPArch):
    state = dict(weights.state_dict)
    state.pop('logit_scale', None)
    state.pop('logit_bias', None)
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f'{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}'
              for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        details = shapes[:3] + [f'missing {k}' for k in missing[:3]] + \
            [f'unexpected {k}' for k in unexpected[:3]]
        raise ValueError(
            f'The {tower} weights in {weights.source} do not fit arch '
            f'{arch.name!r}: ' + '; '.join(details) + '. The file holds '
            f'{describe_arch(weights.arch)}: pass the matching arch (or arch=None '
            'to read it from the file).')
    module.load_state_dict(state, strict=True)


def build_tower(tower: str, arch, pretrained=None, quick_gelu=None):
    """Build one CLIP tower (:mod:`.towers`) and load its weights.

    Args:
        tower: ``'visual'`` or ``'text'``.
        arch: model name, config dict, or None to infer it from ``pretrained``.
        pretrained: None, a local file or an open_clip tag.
        quick_gelu: the activation: True (QuickGELU, every OpenAI CLIP), False
            (GELU), or None to take it from the arch (``-quickgelu`` names)
            or the file (see :func:`choose_activation`).

    Returns:
        tuple: (:class:`VisionTower` or :class:`TextTower`, :class:`CLIPArch`,
        :class:`TowerWeights` or None, quick_gelu used)
    """
    explicit = stated_activation(arch, quick_gelu)
    weights = load_tower_weights(pretrained, tower, arch)
    if arch is None:
        if weights is None:
            raise ValueError('arch=None needs a pretrained file to read it from.')
        if 'vision_cfg' not in weights.arch or 'text_cfg' not in weights.arch:
            raise ValueError(f'Cannot infer the architecture from '
                             f'{weights.source}; pass arch explicitly.')
        arch = dict(copy.deepcopy(weights.arch), name=os.path.basename(weights.source))
    arch = resolve_arch(arch)
    quick_gelu = choose_activation(explicit, arch, weights, tower)
    if tower not in (VISUAL, TEXT):
        raise ValueError(f'tower must be {VISUAL!r} or {TEXT!r}')
    module = build_tower_module(tower, arch, quick_gelu)
    if weights is not None:
        _load_strict(module, weights, tower, arch)
    return module, arch, weights, quick_gelu
