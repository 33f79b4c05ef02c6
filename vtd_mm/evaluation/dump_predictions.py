"""mmengine's DumpResults without holding the dataloader's shared memory."""
from typing import Any, Sequence

import torch
from mmaction.registry import METRICS
from mmengine.evaluator import DumpResults


def own_memory(data: Any) -> Any:
    """``data`` with every tensor copied into ordinary CPU memory.

    Tensors that dataloader workers send (e.g. each video's ``gt_label``) live
    in shared memory, one open file descriptor each; kept for a whole test set
    they exceed the common limit of 1,024 open files after about a thousand
    videos. A copy releases the shared block.
    """
    if isinstance(data, torch.Tensor):
        return data.detach().to('cpu', copy=True)
    if isinstance(data, dict):
        return {k: own_memory(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(own_memory(v) for v in data)
    return data


@METRICS.register_module()
class DumpPredictions(DumpResults):
    """Dump the predictions of a test run to a pickle file (``tools/test.py --dump``).

    As :class:`mmengine.evaluator.DumpResults`, but the predictions it keeps
    until the end of the run hold no dataloader shared memory (see
    :func:`own_memory`), so the number of open files does not grow with the
    number of videos.
    """

    def process(self, data_batch: Any, predictions: Sequence[dict]) -> None:
        self.results.extend(own_memory(list(predictions)))
