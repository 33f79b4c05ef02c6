"""Turn a training checkpoint into a full, self-contained one for sharing.

    python tools/publish_checkpoint.py CONFIG CHECKPOINT OUT [--cfg-options key=value ...]

The Runner's checkpoints leave out the frozen CLIP weights (SmallCheckpointHook)
and carry the optimizer and schedule state. OUT holds the whole model (CLIP
weights included, read from the config's ``pretrained`` files after the
checkpoint was checked against them) and no training state, so it loads into a
model built with ``pretrained=None`` too (e.g. by MMAction2's
``init_recognizer``). Its SHA-256 is printed.
"""
import argparse
import hashlib
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.runner.checkpoint import get_state_dict, load_checkpoint, weights_to_cpu

import vtd_mm  # noqa: F401
from vtd_mm.engine import frozen_clip_towers
from vtd_mm.utils import OutputRefused, check_output, write_atomically


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='the config the checkpoint was trained with')
    p.add_argument('checkpoint', help='checkpoint written by the Runner')
    p.add_argument('out', help='output file (.pth)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value (e.g. the CLIP weights path)')
    p.add_argument('--overwrite', action='store_true', help='replace OUT if it exists')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        check_output(args.out, [args.checkpoint, args.config], args.overwrite)
    except OutputRefused as err:
        raise SystemExit(str(err))
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    checkpoint = load_checkpoint(model, args.checkpoint, map_location='cpu')  # checked
    meta = dict(checkpoint.get('meta', {}))
    meta.pop('clip_weights', None)
    meta['clip_files'] = {prefix.rstrip('.'): osp.basename(tower.clip_file)
                          for prefix, tower in frozen_clip_towers(model)}
    meta['published_from'] = osp.basename(args.checkpoint)
    published = dict(state_dict=weights_to_cpu(get_state_dict(model)), meta=meta)
    write_atomically(args.out, lambda tmp: torch.save(published, tmp))
    with open(args.out, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    size = os.path.getsize(args.out) / 2**20
    print(f'wrote {args.out}: full model, {size:.1f} MiB, sha256 {sha}')
    return args.out


if __name__ == '__main__':
    main()
