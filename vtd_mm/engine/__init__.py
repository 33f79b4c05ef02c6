from .autocast_optim_wrapper import AutocastOptimWrapper
from .checkpoint_loader import CheckpointFileError, read_checkpoint, register_checked_loader
from .label_set_hook import LabelSetHook, dataset_class_names, label_set_heads
from .runner_setup import (add_common_args, build_runner, hold_effective_batch, load_config,
                           prepare_config, run_logged)
from .skipped_videos_hook import SkippedVideosHook
from .small_checkpoint_hook import SmallCheckpointHook, frozen_clip_towers

register_checked_loader()

__all__ = [
    'AutocastOptimWrapper', 'CheckpointFileError', 'LabelSetHook', 'SkippedVideosHook', 'SmallCheckpointHook',
    'add_common_args', 'build_runner',
    'dataset_class_names', 'frozen_clip_towers', 'hold_effective_batch', 'label_set_heads',
    'load_config', 'prepare_config', 'read_checkpoint', 'register_checked_loader', 'run_logged'
]
