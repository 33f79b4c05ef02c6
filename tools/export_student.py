"""Write the student of a distillation checkpoint as a checkpoint of its own.

    python tools/export_student.py DISTILL_CKPT OUT

The result loads with the student's own config (load_from / tools/test.py).
"""
import argparse
import os.path as osp

import torch

import vtd_mm  # noqa: F401


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('checkpoint', help='checkpoint of a RecognizerDistiller run')
    p.add_argument('out', help='output checkpoint of the student alone')
    args = p.parse_args(argv)
    ckpt = torch.load(args.checkpoint, map_location='cpu', weights_only=True)
    state = ckpt.get('state_dict', ckpt)
    student = {k[len('student.'):]: v for k, v in state.items() if k.startswith('student.')}
    if not student:
        raise SystemExit(f'{args.checkpoint} has no student.* weights: is it a '
                         'RecognizerDistiller checkpoint?')
    meta = dict(ckpt.get('meta', {}), exported_from=osp.basename(args.checkpoint))
    torch.save(dict(state_dict=student, meta=meta), args.out)
    print(f'wrote {args.out}: {len(student)} tensors of the student')
    return args.out


if __name__ == '__main__':
    main()
