from .runner_setup import add_common_args, hold_effective_batch, load_config, prepare_config

__all__ = ['add_common_args', 'hold_effective_batch', 'load_config', 'prepare_config']
