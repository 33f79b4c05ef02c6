"""How each kind of frame reads against the label set: the numbers behind the
demo's irrelevant-frame results.

    python tools/demo/frame_similarity.py configs/demo/vtd_demo_full.py CHECKPOINT

For frames of the demo world's videos (real frames, blank frames, noise, the
scene without its object), prints per kind: the largest cosine similarity to a
class name, the mean over the classes (how much a frame resembles *every*
class: a hub), the largest after subtracting that mean (the hub-corrected score
of VTDHead(hub_correction=True)), and the class it most often reads as; then
how many real frames read as their own class.
Without a checkpoint: the frozen tiny CLIP.
"""
import argparse
import collections
import os

import numpy as np
import torch
import torch.nn.functional as F


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', default=None)
    p.add_argument('--videos-per-class', type=int, default=4)
    p.add_argument('--seed', type=int, default=7)
    args = p.parse_args(argv)
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.runner import load_checkpoint

    from vtd_mm.apis import frozen_clip_options
    from vtd_mm.demo.world import video_scene
    register_all_modules(init_default_scope=True)
    os.environ.setdefault('VTD_DEMO_DATA', 'data/demo_world')
    cfg = Config.fromfile(args.config)
    if not args.checkpoint:
        cfg.merge_from_dict(frozen_clip_options(cfg))
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True, logger='silent')
    model.eval()
    head = model.cls_head
    names = head.class_names
    with torch.no_grad():
        codebook = F.normalize(head.text_encoder(names), dim=-1)

    def similarities(frames):
        x = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()
        data = model.data_preprocessor(dict(inputs=[x], data_samples=None), False)
        with torch.no_grad():
            feats = model.extract_feat(data['inputs'], stage='backbone')[0]
            f = head.frame_features(feats, feats.shape[0]).flatten(0, 1)
        return F.normalize(f, dim=-1) @ codebook.t()                     # [T, K]

    rng = np.random.default_rng(args.seed)
    kinds = collections.defaultdict(list)
    right = 0
    for k, name in enumerate(names):
        for _ in range(args.videos_per_class):
            frames, empty = video_scene(name, rng)
            kinds['real frame'].append(similarities(frames[::2]))
            right += int((kinds['real frame'][-1].argmax(-1) == k).sum())
            kinds['scene without object'].append(similarities(empty[::2]))
    kinds['blank'].append(similarities([np.full((32, 32, 3), v, np.uint8)
                                        for v in range(0, 256, 16)]))
    kinds['noise'].append(similarities(list(rng.integers(0, 256, (16, 32, 32, 3), np.uint8))))
    print(f'{"frames":22s} {"count":>5s} {"max cos":>8s} {"mean cos":>9s} '
          f'{"max (cos - mean)":>17s}  most often read as')
    for kind, sims in kinds.items():
        s = torch.cat(sims)
        centred = s - s.mean(-1, keepdim=True)
        tokens = collections.Counter(names[k] for k in s.argmax(-1).tolist())
        token, count = tokens.most_common(1)[0]
        print(f'{kind:22s} {len(s):5d} {s.max(-1).values.mean():8.3f} {s.mean():9.3f} '
              f'{centred.max(-1).values.mean():17.3f}  {token} ({count} of {len(s)})')
    total = len(torch.cat(kinds['real frame']))
    print(f'real frames read as their own class: {right} of {total} ({100 * right / total:.1f}%)')


if __name__ == '__main__':
    main()
