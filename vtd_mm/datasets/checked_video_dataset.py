"""MMAction2's VideoDataset that names an undecodable video and can skip it."""
from mmengine.dataset import Compose
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS

from ..utils import check_list_file

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


class DecodingFailed(RuntimeError):
    """A decoding transform of :class:`DecodingCheckedCompose` raised.

    Attributes:
        transform (str): its class name.
    """

    def __init__(self, transform: str, err: Exception):
        text = str(err).strip().splitlines()[0] if str(err).strip() else ''
        super().__init__(f'{transform}: {type(err).__name__}: {text}')
        self.transform = transform


class DecodingCheckedCompose(Compose):
    """mmengine's ``Compose`` whose decoding transforms raise
    :class:`DecodingFailed`; any other error propagates unchanged."""

    def __call__(self, data):
        for transform in self.transforms:
            name = type(transform).__name__
            try:
                data = transform(data)
            except Exception as err:
                if name not in DECODING:
                    raise
                raise DecodingFailed(name, err) from err
            if data is None:
                return None
        return data


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

    Args:
        skip_broken (bool): skip undecodable videos in training.
        **kwargs: as :class:`VideoDataset`.
    """

    def __init__(self, *args, skip_broken: bool = False, **kwargs):
        self.skip_broken = skip_broken
        super().__init__(*args, **kwargs)
        self.pipeline = DecodingCheckedCompose(self.pipeline.transforms)

    def load_data_list(self):
        check_list_file(self.ann_file)
        return super().load_data_list()

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
