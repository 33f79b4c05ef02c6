from .atomic_local_backend import AtomicLocalBackend
from .autocast_optim_wrapper import AutocastOptimWrapper
from .config_checks import ConfigError, merge_options, warn_unread_options
from .epoch_seed_hook import EpochSeedHook
from .frame_token_visualization_hook import FrameTokenVisualizationHook
from .label_set_hook import LabelSetHook, dataset_class_names, label_set_heads
from .named_sets_test_loop import NamedSetsTestLoop
from .non_finite_hook import NonFiniteHook
from .runner_setup import (
                           KeyValueAction,
                           build_runner,
                           hold_effective_batch,
                           latest_checkpoint,
                           load_config,
                           prepare_config,
                           run_logged,
)
from .skipped_videos_hook import SkippedVideosHook
from .small_checkpoint_hook import SmallCheckpointHook, frozen_clip_towers
from .vtd_optim_wrapper_constructor import VTDOptimWrapperConstructor

__all__ = [
    'AtomicLocalBackend', 'AutocastOptimWrapper', 'ConfigError', 'EpochSeedHook',
    'FrameTokenVisualizationHook', 'KeyValueAction', 'LabelSetHook', 'NamedSetsTestLoop',
    'NonFiniteHook', 'SkippedVideosHook', 'SmallCheckpointHook', 'VTDOptimWrapperConstructor',
    'build_runner', 'dataset_class_names', 'frozen_clip_towers', 'hold_effective_batch',
    'label_set_heads', 'latest_checkpoint', 'load_config', 'merge_options', 'prepare_config',
    'run_logged', 'warn_unread_options'
]
