"""The configs' colour augmentations: grayscale (torchvision's RandomGrayscale through
MMAction2's TorchVisionWrapper) decides once per clip and keeps 3 channels; ColorJitter's
hue shift works both ways."""
import numpy as np
import torch
from mmaction.registry import TRANSFORMS


def test_random_grayscale_is_one_decision_per_clip():
    gray = TRANSFORMS.build(dict(type='TorchVisionWrapper', op='RandomGrayscale', p=0.5))
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    kinds = set()
    for _ in range(40):
        imgs = [rng.integers(0, 256, (6, 5, 3), dtype=np.uint8) for _ in range(4)]
        out = gray.transform(dict(imgs=list(imgs)))['imgs']
        assert all(o.shape == (6, 5, 3) and o.dtype == np.uint8 for o in out)
        flat = [bool((o == o[..., :1]).all()) for o in out]
        assert len(set(flat)) == 1  # all frames gray, or none
        if flat[0]:
            for o, i in zip(out, imgs):  # ITU-R 601 luma, truncated to uint8
                luma = i.astype(np.float64) @ np.array([0.2989, 0.587, 0.114])
                # truncation (< 1) plus torchvision's fp32 sum of 3 terms <= 255:
                # 3 * 255 * 2^-24 < 1e-4 on any CPU
                assert np.abs(o[..., 0] - luma).max() <= 1.0 + 1e-4
        else:
            assert all(np.array_equal(o, i) for o, i in zip(out, imgs))
        kinds.add(flat[0])
    assert kinds == {True, False}


def test_color_jitter_hue_shift_both_ways():
    """MMAction2's ColorJitter with a negative hue shift (an OverflowError
    under NumPy 2 without vtd_mm's fix): the hue moves by the shift, modulo
    180, as NumPy 1 computed it."""
    import cv2
    from mmaction.datasets.transforms.processing import ColorJitter
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    hue = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[..., 0].astype(np.int64)
    for factor in (-0.06, 0.06):
        out = ColorJitter.adjust_hue(img.astype(np.float32), factor)
        assert out.dtype == np.float32 and out.shape == img.shape
        expected = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
        expected[..., 0] = (hue + int(factor * 255)) % 180
        assert np.array_equal(out, cv2.cvtColor(expected, cv2.COLOR_HSV2RGB).astype(np.float32))
