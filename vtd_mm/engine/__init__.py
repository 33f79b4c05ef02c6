from .label_set_hook import LabelSetHook, dataset_class_names, label_set_heads
from .runner_setup import add_common_args, hold_effective_batch, load_config, prepare_config

__all__ = ['LabelSetHook', 'add_common_args', 'dataset_class_names', 'hold_effective_batch',
           'label_set_heads', 'load_config', 'prepare_config']
