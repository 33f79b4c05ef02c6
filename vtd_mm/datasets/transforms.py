"""Video transforms not in MMAction2."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class VideoRandomGrayscale(BaseTransform):
    """With probability ``prob``, turn every frame of the clip to grayscale.

    The same decision holds for all frames. Channels stay 3 (equal values),
    using ITU-R 601 luma weights. Required / modified key: ``imgs`` (list of
    ``[H, W, 3]`` arrays).
    """

    def __init__(self, prob: float = 0.2):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}.')
        self.prob = prob

    def transform(self, results):
        if np.random.rand() < self.prob:
            weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
            out = []
            for img in results['imgs']:
                gray = img.astype(np.float32) @ weights
                out.append(np.repeat(gray[..., None], 3, axis=-1).astype(img.dtype))
            results['imgs'] = out
        return results

    def __repr__(self):
        return f'{type(self).__name__}(prob={self.prob})'
