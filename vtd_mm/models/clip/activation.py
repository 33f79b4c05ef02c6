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

    An OpenAI TorchScript archive, OpenAI's extra keys or fp16 weights prove
    OpenAI weights, which were trained with QuickGELU: stating GELU for them
    is an error. A float32 state dict in the OpenAI / open_clip layout proves
    nothing (OpenAI's weights re-saved in fp32 look like any open_clip
    model's): with no stated choice the arch's default is used and a warning
    names it.
    """
    if weights is not None and weights.openai:
        if explicit is False:
            raise ValueError(
                f'{weights.source} holds OpenAI CLIP weights (TorchScript archive, '
                "OpenAI's extra keys or fp16 tensors), which were trained with "
                'QuickGELU, but quick_gelu=False was set: set quick_gelu=True '
                '(or leave it unset).')
        return True
    if explicit is not None:
        return explicit
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
