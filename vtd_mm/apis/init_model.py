"""Build a recognizer from a config as the Runner does (CLIP weights included)."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from .. import datasets, models  # noqa: F401  (register their modules)
from ..engine.label_set_hook import check_one_clip
from ..models.clip import clear_cache


def frozen_clip_options(config: Config) -> dict:
    """``cfg_options`` that leave out what a VTD model learns (visual and text
    prompts, the fusion module): the frozen CLIP alone, for zero-shot use
    without a checkpoint. Untrained, those parts are random and would only
    perturb CLIP's features. The head still weights frames by confidence and
    reads each frame as its nearest class name."""
    model = config.model
    options = {}
    if model.get('backbone', {}).get('type') == 'CLIPVisionBackbone':
        options['model.backbone.n_ctx'] = 0
    head = model.get('cls_head', {})
    if head.get('type') == 'VTDHead':
        options['model.cls_head.fusion'] = None
        if head.get('text_encoder', {}).get('prompt_learner') is not None:
            options['model.cls_head.text_encoder.prompt_learner'] = None
    return options


def init_recognizer(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                    device: Union[str, torch.device] = 'cpu',
                    cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """MMAction2's ``init_recognizer``, keeping ``backbone.pretrained``.

    ``mmaction.apis.init_recognizer`` sets ``model.backbone.pretrained = None``
    before building, so a CLIP vision tower gets random weights unless the
    checkpoint holds them: zero-shot use (no checkpoint) and the Runner's small
    checkpoints need the CLIP file. This builds the model exactly as the
    Runner does (the config's ``randomness`` seeds the random generators
    first, so untrained prompts start where the Runner's do), then loads
    ``checkpoint`` (checked, see :mod:`vtd_mm.models.checkpoint_fit`). The
    returned model works with ``mmaction.apis.inference_recognizer``.

    Args:
        config: config file or :class:`Config` (not modified).
        checkpoint: checkpoint file, or None (e.g. zero-shot with frozen CLIP).
        device: device to put the model on.
        cfg_options: settings merged into the config, as ``--cfg-options``.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file name or a Config, got {type(config)}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    init_default_scope(config.get('default_scope', 'mmaction'))
    randomness = config.get('randomness') or {}
    if randomness.get('seed') is not None:
        from mmengine.runner import set_random_seed
        set_random_seed(randomness['seed'], randomness.get('deterministic', False))
    model = MODELS.build(config.model)
    clear_cache()  # built: a CLIP file's part that no tower took is not needed
    check_one_clip(model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def model_for_words(config: Union[str, Path], checkpoint: Optional[str], labels,
                    device: Union[str, torch.device] = 'cpu',
                    cfg_options: Optional[dict] = None,
                    require_labels: bool = True) -> torch.nn.Module:
    """The model the inference tools run: ``checkpoint``'s, or without one
    the frozen CLIP of the config, zero-shot on ``labels`` (which it then
    needs, unless ``require_labels`` is False; see :func:`frozen_clip_options`)."""
    options = dict(cfg_options or {})
    if checkpoint is None:
        if labels is None and require_labels:
            raise SystemExit('no checkpoint: give the class names to choose from, '
                             'with --labels "a,b,c" or --label-file FILE')
        options = dict(frozen_clip_options(Config.fromfile(str(config))), **options)
        print('no checkpoint: zero-shot with the frozen CLIP of the config '
              '(untrained prompts and fusion left out)')
    return init_recognizer(config, checkpoint, device=device, cfg_options=options)
