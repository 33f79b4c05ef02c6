"""Convert a checkpoint of the authors' VTD code (or of ViFi-CLIP) to vtd_mm.

    python tools/convert_checkpoint.py SRC CLIP_WEIGHTS OUT

SRC is their training checkpoint ({'model': state_dict, ...}); CLIP_WEIGHTS the
CLIP file their model was built on (the token embedding is not in SRC); OUT a
checkpoint for ``tools/test.py`` / ``load_from``. The prompt sizes found and
the activation are printed: the vtd_mm config must use the same.

Both codes build their towers with OpenAI's CLIP code, which always uses
QuickGELU, so the converted checkpoint records QuickGELU (``--gelu`` for a
model that was really trained with GELU); loading it into towers built with
the other activation is an error.
"""
import argparse
import os.path as osp
import pickle

import torch

import vtd_mm  # noqa: F401
from vtd_mm.models.checkpoint_fit import RECORD, encode_record
from vtd_mm.models.clip.weights_file import read_clip_weights
from vtd_mm.models.conversion import convert_state_dict, unwrap
from vtd_mm.utils import CheckpointFileError, read_checkpoint


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help="checkpoint of the authors' VTD code or of ViFi-CLIP")
    p.add_argument('clip', help='CLIP weights file the model was trained from')
    p.add_argument('out', help='output checkpoint for vtd_mm')
    p.add_argument('--trust-pickle', action='store_true',
                   help='load SRC with weights_only=False (arbitrary code in the file '
                   'runs: only for files you trust; their checkpoints may store '
                   'config objects that the safe loader refuses)')
    p.add_argument('--gelu', action='store_true',
                   help='the source model used GELU (default: QuickGELU, as OpenAI CLIP '
                   'and the authors\' code)')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.trust_pickle:
        ckpt = torch.load(args.src, map_location='cpu', weights_only=False)
    else:
        try:  # empty / truncated / foreign files get read_checkpoint's messages
            ckpt = read_checkpoint(args.src, 'cpu')
        except CheckpointFileError as err:
            if not isinstance(err.__cause__, pickle.UnpicklingError):
                raise SystemExit(str(err)) from err
            raise SystemExit(f'{args.src} cannot be read with weights_only=True '
                             f'({err.__cause__}). If you trust the file, add '
                             '--trust-pickle.') from err
    src = unwrap(ckpt)
    clip = read_clip_weights(args.clip)
    state_dict, settings = convert_state_dict(src, clip['token_embedding.weight'])
    settings['quick_gelu'] = not args.gelu
    # the activation travels with the weights: a model built with the other
    # one refuses the checkpoint (vtd_mm.models.checkpoint_fit)
    record = encode_record(dict(quick_gelu=settings['quick_gelu'],
                                clip_file=osp.basename(args.clip), clip_sha256=None))
    for tower in ('backbone.', 'cls_head.text_encoder.'):
        state_dict[tower + RECORD] = record.clone()
    torch.save(dict(state_dict=state_dict,
                    meta=dict(converted_from=osp.basename(args.src), settings=settings)),
               args.out)
    print(f'wrote {args.out}: {len(state_dict)} tensors')
    print('config: backbone n_ctx={vision_n_ctx} depth={vision_depth}; text prompt '
          'learner n_ctx={text_n_ctx} depth={text_depth}; fusion {fusion}; '
          'quick_gelu={quick_gelu} (both towers)'.format(**settings))
    return settings


if __name__ == '__main__':
    main()
