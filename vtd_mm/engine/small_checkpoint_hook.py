"""Checkpoints without the frozen CLIP weights (the Runner's checkpoints)."""
from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ..models.checkpoint_fit import FrozenCLIPTowerState


def frozen_clip_towers(model):
    """``(state-dict prefix of the tower weights, tower module)`` of every
    frozen CLIP tower of ``model`` that loaded its weights from a file."""
    if is_model_wrapper(model):
        model = model.module
    for name, module in model.named_modules():
        if (isinstance(module, FrozenCLIPTowerState) and module.freeze_clip
                and module.clip_file is not None):
            yield f'{name}.{module.clip_attr}.' if name else f'{module.clip_attr}.', module


@HOOKS.register_module()
class SmallCheckpointHook(Hook):
    """Leave the frozen CLIP weights out of every checkpoint the Runner writes.

    What training changes (prompts, fusion, logit scale; optimizer, scheduler
    and loop state) is kept. Each CLIP tower records in its
    ``clip_weights_record`` state-dict entry the digest of the frozen weights,
    so loading the checkpoint
    (``load_from``, ``--resume``, ``tools/test.py``, ``init_recognizer``)
    needs a model built with the same CLIP file and fails with a clear error
    otherwise (see :mod:`vtd_mm.models.checkpoint_fit`). Resuming is exact:
    the left-out weights are frozen and read from that file.

    Towers built with random weights (``pretrained=None``) or trained
    (``freeze_clip=False``) are always saved whole. ``meta['clip_weights']``
    names the CLIP file of each tower. ``tools/publish_checkpoint.py`` turns a
    small checkpoint into a full one for sharing.

    Args:
        save_clip_weights (bool): True writes full checkpoints (the frozen
            CLIP weights included).
    """

    priority = 'LOW'

    def __init__(self, save_clip_weights: bool = False):
        self.save_clip_weights = save_clip_weights

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.save_clip_weights:
            return
        state_dict = checkpoint['state_dict']
        record = {}
        for prefix, tower in frozen_clip_towers(runner.model):
            for key in [k for k in state_dict if k.startswith(prefix)]:
                del state_dict[key]
            record[prefix.rstrip('.')] = dict(file=tower.clip_file,
                                              sha256=tower.clip_digest())
        if record:
            checkpoint.setdefault('meta', {})['clip_weights'] = record
