"""MMAction2's VideoDataset that names an undecodable video, can skip it, and
draws each sample's augmentation from (seed, epoch, index)."""
import os.path as osp
import random
from contextlib import contextmanager

import numpy as np
import torch
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmengine.dataset import Compose

from .annotation_list import annotation_entries

# transforms that open or decode the video file
DECODING = ('DecordInit', 'DecordDecode', 'PyAVInit', 'PyAVDecode',
            'PyAVDecodeMotionVector', 'OpenCVInit', 'OpenCVDecode')


class BrokenVideoError(RuntimeError):
    """A video of the list that cannot be decoded.

    Attributes:
        filename (str): the video file.
    """

    def __init__(self, message: str, filename: str):
        super().__init__(message)
        self.filename = filename

    def __reduce__(self):  # pickled by message and file (e.g. from a loader worker)
        return type(self), (str(self), self.filename)


# decord 0.6 opens some files whose frames it cannot convert: a rotation tag
# in the container, or some frame widths (e.g. 8, 12, 16, 24 or 48 px at a
# height of 32); OpenCV reads them
DECORD_SIZE_DEFECT = 'from_size == to_size'
DECORD_SIZE_HINT = (
    'decord cannot convert this video\'s frames (a decord 0.6 defect with files that '
    'carry a rotation tag and with some frame widths, e.g. 8, 16, 24 or 48 px). Re-encode '
    'it upright at a width that is a multiple of 32 (e.g. ffmpeg -i IN -vf scale=320:-2 '
    '-metadata:s:v rotate=0 OUT), or decode with OpenCVInit / OpenCVDecode in the pipeline')


def decoding_error_text(err: Exception, path: str = None) -> str:
    """``Type: first line`` of a decoder's error on ``path``, with what to do
    where the cause is known."""
    if path is not None and osp.isfile(path) and osp.getsize(path) == 0:
        return 'empty file (0 bytes)'
    lines = str(err).strip().splitlines()
    text = f'{type(err).__name__}: {lines[0] if lines else ""}'.strip()
    if DECORD_SIZE_DEFECT in str(err):
        text += f'. {DECORD_SIZE_HINT}'
    return text


class DecodingFailed(RuntimeError):
    """A decoding transform of :class:`DecodingCheckedCompose` raised, or gave
    frames that are not ``H x W x 3``.

    Attributes:
        transform (str): its class name.
    """

    def __init__(self, transform: str, err: Exception, path: str = None):
        super().__init__(f'{transform}: {decoding_error_text(err, path)}')
        self.transform = transform

    def __reduce__(self):  # pickled by its message (e.g. from a loader worker)
        return _decoding_failed, (str(self), self.transform)


def _decoding_failed(message: str, transform: str) -> DecodingFailed:
    err = DecodingFailed.__new__(DecodingFailed)
    RuntimeError.__init__(err, message)
    err.transform = transform
    return err


def check_decoded(data: dict) -> None:
    """Decoded frames must be ``H x W x 3``: decord 0.6 has returned
    6-channel frames for some frame widths instead of raising."""
    imgs = data.get('imgs')
    if imgs is not None and len(imgs) and (np.ndim(imgs[0]) != 3 or np.shape(imgs[0])[-1] != 3):
        raise ValueError(f'decoded frames of shape {tuple(np.shape(imgs[0]))}, not H x W x 3: '
                         f'{DECORD_SIZE_HINT}')


class DecodingCheckedCompose(Compose):
    """mmengine's ``Compose`` whose decoding transforms raise
    :class:`DecodingFailed`; any other error propagates unchanged."""

    @staticmethod
    def apply(transform, data):
        """``transform(data)``; a decoding transform's error, or frames it
        decoded wrong, as :class:`DecodingFailed`."""
        name = type(transform).__name__
        if name not in DECODING:
            return transform(data)
        try:
            data = transform(data)
            if data is not None:
                check_decoded(data)
        except Exception as err:
            raise DecodingFailed(name, err, data.get('filename')) from err
        return data

    def __call__(self, data):
        for transform in self.transforms:
            data = self.apply(transform, data)
            if data is None:
                return None
        return data


@contextmanager
def seeded(entropy):
    """Python's and NumPy's global random numbers drawn from ``entropy`` (a
    sequence of non-negative ints) inside the block, restored after it. The
    transforms of MMAction2 and mmcv draw from these two (not from torch)."""
    seed = int(np.random.SeedSequence(list(entropy)).generate_state(1)[0])
    py_state, np_state = random.getstate(), np.random.get_state()
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


@DATASETS.register_module()
class CheckedVideoDataset(VideoDataset):
    """:class:`mmaction.datasets.VideoDataset` for lists that may hold broken files.

    A video that the decoding transforms (``DecordInit``, ``DecordDecode``,
    PyAV / OpenCV alike) cannot read raises :class:`BrokenVideoError`, which
    names the file, its line in the list and the decoder's message (plain
    ``VideoDataset``: ``RuntimeError: Error reading 0 bytes``, no file named).
    Errors of any other transform propagate unchanged: a wrong pipeline is
    never taken for a broken video.

    With ``skip_broken=True`` training goes on instead: the broken video is
    replaced by another one (mmengine's refetch, at most ``max_refetch``
    times) and its name travels with the batch (``skipped_videos`` in the
    data sample's metainfo) to :class:`~vtd_mm.engine.SkippedVideosHook`,
    which logs each file with a running count and a summary per epoch. In
    test mode a broken video is always an error: skipping would change the
    set a metric is computed on. ``tools/data/check_videos.py`` finds every
    broken file of a list beforehand and writes a clean list.

    The pipeline is a :class:`DecodingCheckedCompose`; a tool that puts its
    own ``Compose`` in its place (MMAction2's ``browse_dataset.py``) runs as
    with ``VideoDataset``.

    After :meth:`seed_samples` (called each epoch by
    :class:`~vtd_mm.engine.EpochSeedHook`), the random numbers of sample
    ``idx``'s transforms (frame offsets, crops, flips, refetches) are drawn
    from ``(seed, epoch, idx)`` alone, not from a stream that depends on the
    dataloader's workers: the augmentations are the same with any
    ``num_workers``, with persistent workers or not, and in a run resumed at
    any epoch.

    Args:
        skip_broken (bool): skip undecodable videos in training.
        **kwargs: as :class:`VideoDataset`.
    """

    def __init__(self, *args, skip_broken: bool = False, **kwargs):
        self.skip_broken = skip_broken
        super().__init__(*args, **kwargs)
        self.pipeline = DecodingCheckedCompose(self.pipeline.transforms)
        # (seed, epoch), -1: off; in shared memory, so that dataloader workers
        # (persistent ones too) see what the main process sets
        self._sample_seeds = torch.full((2, ), -1, dtype=torch.int64).share_memory_()

    def seed_samples(self, seed: int, epoch: int) -> None:
        """Draw each sample's random numbers from ``(seed, epoch, idx)`` from
        now on (``epoch=-1``: from the global streams, as ``VideoDataset``)."""
        if seed < 0:
            raise ValueError(f'seed must be >= 0, got {seed}')
        self._sample_seeds[0], self._sample_seeds[1] = seed, epoch

    def load_data_list(self):
        # VideoDataset's parsing, with the line of a bad entry named and a path
        # that holds spaces read whole
        prefix = self.data_prefix['video']
        return [dict(filename=e.item if prefix is None else osp.join(prefix, e.item), label=e.label)
                for e in annotation_entries(self.ann_file, self.multi_class, self.delimiter)]

    def prepare_data(self, idx: int):
        data = self.get_data_info(idx)
        filename = data.get('filename', '?')
        try:
            return self.pipeline(data)
        except DecodingFailed as err:
            raise BrokenVideoError(
                f'cannot decode video {filename} (entry {idx + 1} of {self.ann_file}; '
                f'{err}). Find every broken file of the list with '
                'tools/data/check_videos.py; in training, dataset skip_broken=True skips '
                'them.', filename) from err

    def __getitem__(self, idx: int) -> dict:
        seed, epoch = self._sample_seeds.tolist()
        if epoch < 0:
            return self._get_sample(idx)
        with seeded((seed, epoch, idx)):
            return self._get_sample(idx)

    def _get_sample(self, idx: int) -> dict:
        if self.test_mode or not self.skip_broken:
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        skipped = []
        for _ in range(self.max_refetch + 1):
            try:
                data = self.prepare_data(idx)
            except BrokenVideoError as err:
                skipped.append(err.filename)
                idx = self._rand_another()
                continue
            if data is None:  # a transform asked for another sample
                idx = self._rand_another()
                continue
            if skipped:
                data['data_samples'].set_metainfo(dict(skipped_videos=skipped))
            return data
        raise RuntimeError(
            f'{self.max_refetch + 1} tries in a row found no decodable video in '
            f'{self.ann_file} (last: {skipped[-1] if skipped else "none"}): check the '
            'list with tools/data/check_videos.py.')
