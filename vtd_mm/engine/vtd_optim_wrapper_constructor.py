"""An MMAction2 family's optimizer constructor for a model with vtd_mm's modules."""
import logging
from typing import List, Optional

import torch.nn as nn
from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor


def _is_ours(cls: type) -> bool:
    return cls.__module__.split('.')[0] == 'vtd_mm'


class _TrainableLayers(nn.Module):
    """The atomic modules of a model that hold a trainable parameter and are
    not vtd_mm's own, in the model's order, under their dotted names with
    '_' for '.' (a module name cannot hold a dot)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        for name, module in model.named_modules():
            if next(module.children(), None) is not None:
                continue
            if _is_ours(type(module)):
                continue
            if any(p.requires_grad for p in module.parameters(recurse=False)):
                self.add_module(name.replace('.', '_'), module)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class VTDOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Runs a family's own optimizer constructor (``paramwise_cfg.family``,
    e.g. MMAction2's ``TSMOptimWrapperConstructor``) over the layers it knows,
    and gives vtd_mm's learnable tensors the base learning rate.

    Constructors that assign learning rates by layer type (TSM's: first conv,
    conv / linear weights and biases, BN, the last linear layer with
    ``fc_lr5``) refuse or silently skip what is not such a layer: the frozen
    CLIP towers' LayerNorms and token embedding, the prompts of
    ``TextPromptLearner`` / ``CLIPVisionBackbone`` and ``VTDHead.logit_scale``.
    Here the family's constructor sees every layer with a trainable
    parameter, in the model's order, except vtd_mm's own modules; frozen
    CLIP weights need no policy and are left out; every trainable parameter
    it did not place goes into one more group with the base learning rate
    and weight decay (``logit_scale``: no weight decay, as in vtd_mm's
    configs) when vtd_mm's modules hold it; one held directly by another
    module (a ViT's ``pos_embed``) is an error rather than a guessed rate.
    With TSM's ``fc_lr5`` the last linear layer in the model's order
    learns 5x faster: after a VTDHead, the fusion's output layer (or the
    projection to the text width when there is no fusion).

    Constructors that place parameters by name and recurse into every module
    (mmengine's default, used by most MMAction2 configs) need none of this:
    keep them.

    Config::

        optim_wrapper = dict(
            constructor='VTDOptimWrapperConstructor',
            paramwise_cfg=dict(family='TSMOptimWrapperConstructor', fc_lr5=True))
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        family = paramwise_cfg.pop('family', None)
        if family is None:
            raise ValueError(
                "VTDOptimWrapperConstructor: set paramwise_cfg.family to the config's "
                "own constructor, e.g. 'TSMOptimWrapperConstructor'.")
        super().__init__(optim_wrapper_cfg, dict(paramwise_cfg, family=family))
        self.family = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(type=family, optim_wrapper_cfg=optim_wrapper_cfg, paramwise_cfg=paramwise_cfg))

    def add_params(self, params: List[dict], module: nn.Module, **kwargs) -> None:
        self.family.add_params(params, _TrainableLayers(module))
        placed = {id(p) for group in params for p in group['params']}
        rest = [(n, p) for n, p in module.named_parameters()
                if p.requires_grad and id(p) not in placed]
        owners = {id(p): type(m) for m in module.modules()
                  for p in m.parameters(recurse=False)}
        foreign = [n for n, p in rest if not _is_ours(owners[id(p)])]
        if foreign:  # the family's policy says nothing about them: no guessed rate
            raise ValueError(
                f'{type(self).__name__}: {type(self.family).__name__} placed no learning rate '
                f'for {", ".join(foreign[:5])}, held directly by a module that is not '
                "vtd_mm's. Use the config's own constructor without this wrapper (mmengine's "
                'default constructor places them by name).')
        decay = [p for n, p in rest if not n.endswith('logit_scale')]
        no_decay = [p for n, p in rest if n.endswith('logit_scale')]
        params.append(dict(params=decay, lr=self.base_lr, weight_decay=self.base_wd))
        params.append(dict(params=no_decay, lr=self.base_lr, weight_decay=0.0))
        print_log(f'{type(self).__name__}: {len(placed)} tensors placed by '
                  f'{type(self.family).__name__}, {len(rest)} of vtd_mm\'s at the base '
                  f'learning rate ({", ".join(n for n, _ in rest[:6])}'
                  f'{", ..." if len(rest) > 6 else ""})', logger='current', level=logging.INFO)
