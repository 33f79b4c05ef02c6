"""Pretrain the demo's tiny CLIP on clean frames of the synthetic world.

    python tools/demo/pretrain_tiny_clip.py [--seed 0] [--steps 1000] [--out FILE] [--overwrite]

Writes the weights in OpenAI's file layout (plain state dict, fp16), which the
CLIP towers load like real CLIP weights. The same seed, step count and thread
count give the same weights (the printed digest covers the tensors; the file
bytes also hold a random id that torch.save writes).
"""
import argparse
import os.path as osp
import time

import torch

from vtd_mm.demo.tiny_clip import pretrain, save_openai_layout, weights_digest, zero_shot_accuracy
from vtd_mm.utils import OutputRefused, check_output


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--threads', type=int, default=2, help='torch threads (part of the recipe)')
    p.add_argument('--out', default='work_dirs/tiny_clip/tiny_clip_world.pt',
                   help='output file (the shipped weights are vtd_mm/demo/weights/'
                   'tiny_clip_world.pt; replacing them needs --overwrite)')
    p.add_argument('--overwrite', action='store_true', help='replace OUT if it exists')
    args = p.parse_args(argv)
    try:  # before the minutes of training
        check_output(args.out, overwrite=args.overwrite)
    except OutputRefused as err:
        raise SystemExit(str(err))
    torch.set_num_threads(args.threads)
    start = time.time()
    model, tokenizer = pretrain(args.seed, args.steps, args.batch_size)
    print(f'trained {args.steps} steps in {time.time() - start:.0f} s; zero-shot accuracy on '
          f'clean frames (24 classes): {100 * zero_shot_accuracy(model, tokenizer):.1f}%')
    save_openai_layout(model, args.out)
    digest = weights_digest(args.out)
    print(f'wrote {args.out} ({osp.getsize(args.out) / 2**20:.1f} MiB), '
          f'weights sha256 {digest}')
    return digest


if __name__ == '__main__':
    main()
