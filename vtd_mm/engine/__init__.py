from .runner_setup import hold_effective_batch, prepare_config

__all__ = ['hold_effective_batch', 'prepare_config']
