"""The presentation time of every sampled frame, for the data sample's meta."""
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class FrameTimes(BaseTransform):
    """Add ``frame_times``: the time in seconds of each sampled frame ``[N]``
    (``frame_inds`` order), or None when the video does not tell.

    Decord's presentation timestamps when the reader has them, so that a video
    of variable frame rate gets its real times (``index / avg_fps`` is off
    there); otherwise ``frame_inds / avg_fps``. Goes after the frame sampler
    and before ``DecordDecode`` (which drops the reader). Keep the times with
    ``PackActionInputs(meta_keys=(..., 'frame_inds', 'frame_times'))``.

    Required keys: ``frame_inds``; optional ``video_reader``, ``avg_fps``.
    Added key: ``frame_times``.
    """

    def transform(self, results: dict) -> dict:
        inds = np.asarray(results['frame_inds']).reshape(-1)
        reader = results.get('video_reader')
        fps = float(results.get('avg_fps') or 0)
        if reader is not None and hasattr(reader, 'get_frame_timestamp'):
            results['frame_times'] = np.asarray(reader.get_frame_timestamp(inds.tolist()))[:, 0]
        elif fps:
            results['frame_times'] = inds / fps
        else:
            results['frame_times'] = None
        return results
