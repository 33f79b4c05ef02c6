"""Windows of frames sampled from a long video, decoded as they are needed."""
import math
from typing import Callable, Iterator, List, NamedTuple, Optional, Sequence

import numpy as np
from mmengine.dataset import pseudo_collate
from torch.utils.data import IterableDataset, get_worker_info

from .checked_video_dataset import BrokenVideoError


class Window(NamedTuple):
    """``frames`` [T, H, W, 3] uint8 RGB at the sampled positions ``positions``
    [T] (indices into the video's sampled frames), video frames ``indices``
    [T], their presentation ``times`` [T] in seconds."""
    frames: np.ndarray
    positions: np.ndarray
    indices: np.ndarray
    times: np.ndarray


class VideoWindows:
    """A video sampled at ``sample_fps``, read as windows of ``length``
    sampled frames every ``stride`` sampled frames.

    Frames are decoded window by window; a frame shared by overlapping
    windows is decoded once and dropped when no later window needs it, so
    memory holds one window (plus the overlap) whatever the video's length.
    The last window ends at the last sampled frame (it may overlap its
    predecessor more); a video shorter than one window repeats its last
    frame.

    Args:
        path: video file (decord).
        length: sampled frames per window (the model's ``num_frames``).
        sample_fps: frames per second taken from the video (None: every frame).
        stride: sampled frames between window starts (None: ``length``).
    """

    def __init__(self, path: str, length: int, sample_fps: Optional[float] = None,
                 stride: Optional[int] = None):
        import decord
        if length < 1 or (stride is not None and stride < 1):
            raise ValueError(f'window length and stride must be at least 1, got {length}, '
                             f'{stride}')
        if sample_fps is not None and sample_fps <= 0:
            raise ValueError(f'sample_fps must be positive, got {sample_fps}')
        try:
            self.reader = decord.VideoReader(path, num_threads=1)
            total = len(self.reader)
        except Exception as err:  # decord raises its own error types
            raise BrokenVideoError(f'cannot decode video {path} ({err})', path) from err
        if total == 0:
            raise BrokenVideoError(f'cannot decode video {path} (no frames)', path)
        self.path, self.length, self.stride = path, length, stride or length
        self.sample_fps = sample_fps
        self.fps = float(self.reader.get_avg_fps()) or None
        step = 1.0 if not sample_fps or not self.fps else max(self.fps / sample_fps, 1.0)
        self.indices = np.unique(np.round(np.arange(0, total, step)).astype(int).clip(0, total - 1))
        stamps = self.reader.get_frame_timestamp(self.indices.tolist())
        self.times = np.asarray(stamps)[:, 0].astype(float)
        last = np.asarray(self.reader.get_frame_timestamp([total - 1]))[0]
        self.duration = float(last[1])

    def __len__(self) -> int:
        n = len(self.indices)
        return 1 if n <= self.length else 1 + math.ceil((n - self.length) / self.stride)

    def starts(self) -> List[int]:
        n = len(self.indices)
        starts = list(range(0, max(n - self.length, 0) + 1, self.stride))
        if n > self.length and starts[-1] != n - self.length:
            starts.append(n - self.length)
        return starts

    def __iter__(self) -> Iterator[Window]:
        return self.windows(self.starts())

    def windows(self, starts: Sequence[int]) -> Iterator[Window]:
        """The windows that start at ``starts`` (sampled positions, ascending)."""
        n = len(self.indices)
        held = {}  # sampled position -> decoded frame
        for i, start in enumerate(starts):
            following = starts[i + 1] if i + 1 < len(starts) else n
            positions = np.minimum(np.arange(start, start + self.length), n - 1)
            needed = sorted(set(positions.tolist()) - set(held))
            if needed:
                try:
                    batch = self.reader.get_batch(self.indices[needed].tolist()).asnumpy()
                except Exception as err:
                    raise BrokenVideoError(
                        f'cannot decode video {self.path} at {self.times[needed[0]]:.2f} s '
                        f'({err})', self.path) from err
                held.update(zip(needed, batch))
            frames = np.stack([held[p] for p in positions.tolist()])
            for p in [p for p in held if p < following]:
                del held[p]  # no later window reaches back before the next start
            yield Window(frames, positions, self.indices[positions], self.times[positions])


def window_results(window: Window, length: int, source: str) -> dict:
    """The results dict of one window, as MMAction2's transforms after
    decoding expect it (one view of ``length`` frames from ``source``)."""
    return dict(imgs=list(window.frames), original_shape=window.frames.shape[1:3],
                img_shape=window.frames.shape[1:3], modality='RGB', num_clips=1,
                clip_len=length, label=-1, start_index=0, frame_inds=window.indices,
                filename=source)


def collate_windows(windows: Sequence[Window], length: int, source: str,
                    transform: Callable) -> dict:
    """The model's batch input of ``windows``: each through ``transform``,
    then ``pseudo_collate``."""
    return pseudo_collate([transform(window_results(w, length, source)) for w in windows])


class WindowBatches(IterableDataset):
    """Batches of ``batch_size`` windows of one video, decoded and put through
    ``transform`` (one window's data dict -> the model's input), for a
    :class:`~torch.utils.data.DataLoader` (``batch_size=None``).

    Each item is ``(windows, data)``: the batch's :class:`Window` s without
    their frames, and ``pseudo_collate`` of the transformed windows; or
    ``(None, BrokenVideoError)`` when decoding fails (the loader's workers
    cannot re-raise an error that takes two arguments, so it travels as data).
    With ``n`` loader workers, worker ``w`` decodes batches ``w, w + n, ...``:
    the loader takes one item from each worker in turn, so the batches arrive
    in the video's order while the workers decode ahead of the model. One
    reader (no workers, or one) reads the windows in one pass, so a frame
    shared by two batches is decoded once; with more, each worker seeks to
    its batches.

    Args:
        path, length, sample_fps, stride: see :class:`VideoWindows`.
        batch_size: windows per item.
        transform: ``dict(imgs, frame_inds, ...) -> data`` (e.g. the config's
            test transforms after decoding).
    """

    def __init__(self, path: str, length: int, sample_fps: Optional[float], stride: Optional[int],
                 batch_size: int, transform: Callable):
        self.args = (path, length, sample_fps, stride)
        self.batch_size, self.transform = batch_size, transform

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        try:
            windows = VideoWindows(*self.args)
            starts = windows.starts()
            batches = [starts[i:i + self.batch_size]
                       for i in range(0, len(starts), self.batch_size)]
            if workers == 1:  # one reader: one pass, frames shared by two batches decoded once
                stream = windows.windows(starts)
                chunks = ([next(stream) for _ in batch] for batch in batches)
            else:
                chunks = (list(windows.windows(batch)) for batch in batches[worker::workers])
            for items in chunks:
                yield ([w._replace(frames=None) for w in items],
                       collate_windows(items, windows.length, windows.path, self.transform))
        except BrokenVideoError as err:
            yield None, err
