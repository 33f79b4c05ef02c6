"""Draw test videos with what each frame reads as: ``tools/test.py --show-dir``."""
import math
import os
import os.path as osp
import tempfile
from typing import Optional, Sequence

from mmaction.registry import HOOKS
from mmengine.dataset import DefaultSampler
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook

from ..visualization import save_frame_strip
from .label_set_hook import dataset_class_names, label_set_heads


@HOOKS.register_module()
class FrameTokenVisualizationHook(Hook):
    """MMAction2's ``VisualizationHook`` for the predictions of VTD-CLIP.

    Every ``interval``-th video of a validation or test run is drawn as a
    strip of the frames of its first view, each titled with the class name it
    reads as (``frame_token_names``) and its weight for the predicted class
    (``frame_weights``); the title gives the prediction, its score and the
    ground truth. Heads without frame tokens (e.g. a TSN student) get the
    frames and the prediction only. MMAction2's own hook cannot draw these
    clips: it expects ``C, T, H, W`` inputs, while a 2D recognizer's are
    ``views * T, C, H, W``.

    Args:
        enable: draw at all; ``tools/test.py --show / --show-dir`` set it.
        interval: draw every ``interval``-th video.
        show: show each strip in a window for ``wait_time`` seconds.
        out_dir: write ``<video name>.png`` here.
        wait_time: seconds a window is shown.
    """
    priority = 'NORMAL'

    def __init__(self, enable: bool = False, interval: int = 1, show: bool = False,
                 out_dir: Optional[str] = None, wait_time: float = 2.0):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.enable, self.interval, self.show = enable, interval, show
        self.out_dir, self.wait_time = out_dir, wait_time
        self._names, self._loader = None, None

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader)

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader)

    def _start(self, runner, loader) -> None:
        """The loader and the label set: the dataset's, else the model's."""
        self._loader = loader
        self._names = dataset_class_names(loader.dataset)
        heads = label_set_heads(runner.model)
        if self._names is None and heads:
            self._names = list(heads[0].class_names)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._draw(runner, batch_idx, data_batch, outputs)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._draw(runner, batch_idx, data_batch, outputs)

    def _draw(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence) -> None:
        if not self.enable or not outputs:
            return
        # the loader's batch size: the last batch may be smaller
        start = batch_idx * (getattr(self._loader, 'batch_size', None) or len(outputs))
        first = math.ceil(start / self.interval) * self.interval
        for index in range(first, start + len(outputs), self.interval):
            sample = outputs[index - start]
            video = data_batch['inputs'][index - start]
            self._draw_one(runner, self._video_name(sample, index), video, sample)

    def _video_name(self, sample, index: int) -> str:
        """``<position in the list>_<file name>``, unique also for videos of
        the same name in other folders. MMAction2 does not pack the file name
        into the sample, so it is read from the dataset where the sampler's
        order is known (mmengine's DefaultSampler without shuffling: rank r
        takes the indices r, r + W, r + 2W, ...); else the sample's number on
        this process and the rank."""
        filename = sample.get('filename')
        sampler = getattr(self._loader, 'sampler', None)
        rank, world_size = get_dist_info()
        if isinstance(sampler, DefaultSampler) and not sampler.shuffle:
            position = rank + index * world_size
            if filename is None and position < len(self._loader.dataset):
                filename = self._loader.dataset.get_data_info(position).get('filename')
            number = f'{position + 1:05d}'
        else:
            number = f'{index + 1:05d}' + (f'_rank{rank}' if world_size > 1 else '')
        stem = osp.splitext(osp.basename(filename))[0] if filename else 'video'
        return f'{number}_{stem}'

    def _draw_one(self, runner, name: str, video, sample) -> None:
        tokens = sample.get('frame_token_names')
        weights = sample.get('frame_weights')
        frames = _first_view(video, len(tokens[0]) if tokens else None)
        if tokens:
            tokens, weights = tokens[0], weights[0].tolist()
        else:
            tokens, weights = [f'frame {t}' for t in range(len(frames))], [1.0] * len(frames)
        pred = int(sample.pred_label)
        title = f'{name}: {self._name(pred)} ({float(sample.pred_score[pred]):.2f})'
        if 'gt_label' in sample:
            title += f'; ground truth {self._name(int(sample.gt_label))}'
        h, w = frames.shape[1:3]
        figsize = (1.7 * len(frames), 1.7 * h / w + 0.9)
        if self.out_dir is not None:
            os.makedirs(self.out_dir, exist_ok=True)
            path = save_frame_strip(frames, tokens, weights, title,
                                    osp.join(self.out_dir, f'{name}.png'), figsize)
        if self.show:
            with tempfile.TemporaryDirectory() as tmp:
                path = save_frame_strip(frames, tokens, weights, title,
                                        osp.join(tmp, 'strip.png'), figsize)
                _show(path, name, self.wait_time)

    def _name(self, k: int) -> str:
        names = self._names
        return names[k] if names and 0 <= k < len(names) else f'class {k}'


def _first_view(video, frames_per_view: Optional[int]):
    """uint8 inputs of one video -> frames [T, H, W, 3] (RGB) of its first view.

    2D recognizers pack ``views * T`` frames as ``[V * T, C, H, W]``; 3D ones
    ``[V, C, T, H, W]``.
    """
    if video.dim() == 5:
        return video[0].permute(1, 2, 3, 0).cpu().numpy().astype('uint8')
    t = frames_per_view or min(len(video), 16)
    return video[:t].permute(0, 2, 3, 1).cpu().numpy().astype('uint8')


def _show(path: str, name: str, wait_time: float) -> None:
    import cv2
    from mmengine.visualization import Visualizer
    image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
    Visualizer.get_current_instance().show(image, win_name=name, wait_time=wait_time)
