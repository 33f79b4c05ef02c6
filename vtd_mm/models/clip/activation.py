"""QuickGELU or GELU: what the config states, checked against the file."""
import logging
from typing import Optional

from mmengine.logging import print_log

from .arch import CLIPArch
from .weights_file import TowerWeights


def stated_activation(arch, quick_gelu):
    """The activation the config states, or None when it states none.

    ``quick_gelu=True/False``, a ``-quickgelu`` model name or an arch dict with
    a ``quick_gelu`` key state it; a plain open_clip name (``'ViT-B-16'``)
    does not: its GELU default says nothing about the weights.
    """
    if quick_gelu is not None:
        return bool(quick_gelu)
    if isinstance(arch, CLIPArch):
        return arch.quick_gelu or None
    if isinstance(arch, str) and arch.endswith('-quickgelu'):
        return True
    if isinstance(arch, dict) and 'quick_gelu' in arch:
        return bool(arch['quick_gelu'])
    return None


def choose_activation(explicit: Optional[bool], arch: CLIPArch,
                      weights: Optional[TowerWeights], tower: str) -> bool:
    """QuickGELU or GELU for a tower: what the config states, checked
    against what the weights file proves.

    An OpenAI TorchScript archive or OpenAI's extra keys prove OpenAI
    weights, which were trained with QuickGELU: stating GELU for them is an
    error. Other files prove nothing (OpenAI's weights re-saved as a state
    dict look like any open_clip model's, and an open_clip GELU model may be
    saved in fp16): the stated activation is used; with none stated, QuickGELU
    for fp16 weights (as OpenAI ships them), else the arch's default, and a
    warning names it.
    """
    if weights is not None and weights.openai:
        if explicit is False:
            raise ValueError(
                f'{weights.source} holds OpenAI CLIP weights (TorchScript archive or '
                "OpenAI's extra keys), which were trained with QuickGELU, but "
                'quick_gelu=False was set: set quick_gelu=True (or leave it unset).')
        return True
    if explicit is not None:
        return explicit
    if weights is not None and weights.half:
        print_log(
            f'{weights.source}: fp16 weights, as OpenAI ships its CLIP releases: the {tower} '
            'tower uses QuickGELU. An open_clip model trained with GELU and saved in fp16 '
            'needs quick_gelu=False in the config; state quick_gelu=True to silence this.',
            logger='current', level=logging.WARNING)
        return True
    if weights is not None:
        act = 'QuickGELU' if arch.quick_gelu else 'GELU'
        print_log(
            f'{weights.source}: the file does not tell whether its weights were '
            f'trained with QuickGELU (OpenAI CLIP, also when re-saved in fp32) or '
            f'GELU (most open_clip models); the {tower} tower uses {act}, the '
            f'default of arch {arch.name!r}. State it in the config: quick_gelu=True '
            'for OpenAI weights, quick_gelu=False otherwise.',
            logger='current', level=logging.WARNING)
    return arch.quick_gelu
