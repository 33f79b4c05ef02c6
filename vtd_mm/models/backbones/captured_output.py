"""The output of a submodule during one forward call (a forward hook)."""
from contextlib import contextmanager

import torch.nn as nn


@contextmanager
def captured_outputs(*modules: nn.Module):
    """Yield a list that holds, after the ``with`` block, the last output of
    each of ``modules`` (in that order) during the block. Read it after the
    block: unpacking it at ``as`` would bind the empty slots."""
    outputs = [None] * len(modules)

    def keeper(i):
        def hook(module, args, output):
            outputs[i] = output
        return hook

    handles = [m.register_forward_hook(keeper(i)) for i, m in enumerate(modules)]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
