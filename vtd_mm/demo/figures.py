"""Pictures of what VTD-CLIP reads in a video: each frame's token and weight."""
import os.path as osp
from typing import List

import torch

from ..visualization import save_frame_strip


def predict_video(model, dataset, index):
    """(frames [T, H, W, 3] uint8, prediction sample) of one test video."""
    data = dataset[index]
    with torch.no_grad():
        batch = dict(inputs=[data['inputs']], data_samples=[data['data_samples']])
        pred = model.test_step(batch)[0]
    frames = data['inputs'].permute(0, 2, 3, 1).numpy()  # uint8 RGB, before normalisation
    return frames, pred


def draw(frames, pred, names, title, path):
    truth = names[int(pred.gt_label)]
    guess = names[int(pred.pred_label)]
    return save_frame_strip(
        frames, pred.frame_token_names[0], pred.frame_weights[0].tolist(),
        f'{title}: true "{truth}", predicted "{guess}", video token '
        f'"{pred.video_token_names[0]}"', path,
        figsize=(1.6 * len(frames), 2.3), interpolation='nearest')


TITLES = {'': 'clean video', '_uninformative50': 'half of the frames uninformative',
          '_other50': "half of the frames from another class's clip"}


def save_token_figures(cfg, checkpoint, data_root, work_dir, index=0,
                       suffixes=('', '_uninformative50', '_other50'), prefix='frames'
                       ) -> List[str]:
    """PNGs of one base test video, clean and in the test copies ``suffixes``
    (``WORK_DIR/<prefix><suffix or _clean>.png``)."""
    from mmaction.registry import DATASETS, MODELS
    from mmengine.runner import load_checkpoint
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    model.eval()
    names = model.cls_head.class_names
    paths = []
    for suffix in suffixes:
        dataset = DATASETS.build(dict(cfg.test_dataloader.dataset,
                                      ann_file=osp.join(data_root, f'test_base{suffix}.txt')))
        frames, pred = predict_video(model, dataset, index)
        paths.append(draw(frames, pred, names, TITLES.get(suffix, suffix.strip('_')),
                          osp.join(work_dir, f'{prefix}{suffix or "_clean"}.png')))
    return paths
