from .autocast_optim_wrapper import AutocastOptimWrapper
from .checkpoint_loader import CheckpointFileError, read_checkpoint, register_checked_loader
from .frame_token_visualization_hook import FrameTokenVisualizationHook
from .label_set_hook import LabelSetHook, dataset_class_names, label_set_heads
from .named_sets_test_loop import NamedSetsTestLoop
from .runner_setup import (KeyValueAction, build_runner, hold_effective_batch, prepare_config,
                           run_logged)
from .skipped_videos_hook import SkippedVideosHook
from .small_checkpoint_hook import SmallCheckpointHook, frozen_clip_towers

register_checked_loader()

__all__ = [
    'AutocastOptimWrapper', 'CheckpointFileError', 'FrameTokenVisualizationHook',
    'KeyValueAction', 'LabelSetHook', 'NamedSetsTestLoop', 'SkippedVideosHook',
    'SmallCheckpointHook', 'build_runner',
    'dataset_class_names', 'frozen_clip_towers', 'hold_effective_batch', 'label_set_heads',
    'prepare_config', 'read_checkpoint', 'register_checked_loader', 'run_logged'
]
