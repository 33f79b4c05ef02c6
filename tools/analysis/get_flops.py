"""FLOPs of a whole VTD-CLIP model, part by part.

    python tools/analysis/get_flops.py CONFIG [--frames T] [--labels "a,b" | --label-file F]
        [--cfg-options key=value ...]

Counts, with PyTorch's FlopCounterMode (attention through the math kernel, so
that ``scaled_dot_product_attention`` is counted: MMAction2's get_flops.py and
fvcore miss it and the text tower):

- the vision tower for one view of T frames,
- the text tower for the label set (once per label set: the codebook is cached
  at test time),
- the fusion module and the rest of the head for one view,

each split into attention (the batched matmuls of QK^T and AV) and the rest
(linear layers, convolution). Figures are given in GMACs (one multiply-add =
1, the convention of fvcore, MMAction2 and most papers' "GFLOPs") and in
GFLOPs (2 per multiply-add). Weights do not change the count: the CLIP files
of the config are not read.
"""
import argparse

import torch
from benchmark_clip import _Fixed, op_flops  # the sibling script (tools/analysis)
from mmengine.config import Config

from vtd_mm.apis import init_recognizer, parse_labels
from vtd_mm.engine import KeyValueAction

ATTENTION_OPS = ('bmm', 'baddbmm')


def eval_flops(fn):
    """:func:`benchmark_clip.op_flops` of a forward without gradients."""
    with torch.no_grad():
        return op_flops(fn)


def split(counts):
    attention = sum(n for op, n in counts.items() if op in ATTENTION_OPS)
    return dict(attention=attention, other=sum(counts.values()) - attention)


def count_model(model, frames: int, names):
    """FLOPs per part: dict part -> dict(attention, other)."""
    backbone, head = model.backbone, model.cls_head
    h, w = backbone.image_size if hasattr(backbone, 'image_size') else (224, 224)
    x = torch.zeros(frames, 3, h, w)
    parts = dict(vision=split(eval_flops(lambda: backbone(x))))
    text_encoder = head.text_encoder
    text_encoder._codebooks.clear()
    parts['text'] = split(eval_flops(lambda: text_encoder(names)))
    with torch.no_grad():
        codebook = text_encoder(names)
        feats = backbone(x)
    dim = codebook.shape[1]
    fusion = split(eval_flops(lambda: head.fusion(torch.zeros(1, frames, dim),
                                                torch.zeros(1, 1, dim)))
                   ) if head.fusion is not None else dict(attention=0, other=0)
    head.text_encoder = _Fixed(codebook)
    try:
        total_head = split(eval_flops(lambda: head.forward_details(feats, num_segs=frames)))
    finally:
        head.text_encoder = text_encoder
    parts['fusion'] = fusion
    parts['head'] = {k: total_head[k] - fusion[k] for k in total_head}
    return parts


def format_table(parts, frames, num_names):
    rows = [('vision tower', f'one view, {frames} frames', parts['vision']),
            ('text tower', f'{num_names} names, once per label set', parts['text']),
            ('fusion', 'one view', parts['fusion']),
            ('head (rest)', 'one view', parts['head'])]
    per_view = {k: sum(parts[p][k] for p in ('vision', 'fusion', 'head'))
                for k in ('attention', 'other')}
    rows.append(('per view', 'vision + fusion + head', per_view))
    first = {k: per_view[k] + parts['text'][k] for k in per_view}
    rows.append(('first view of a label set', '+ text tower', first))
    lines = ['| part | what | GMACs | of which attention | GFLOPs |', '|---|---|---|---|---|']
    for name, what, c in rows:
        total = c['attention'] + c['other']
        lines.append(f'| {name} | {what} | {total / 2e9:.4g} | {c["attention"] / 2e9:.4g} | '
                     f'{total / 1e9:.4g} |')
    return '\n'.join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='config file')
    p.add_argument('--frames', type=int, help="frames per view (default: the head's num_frames)")
    labels = p.add_mutually_exclusive_group()
    labels.add_argument('--labels', help='comma-separated class names (default: the config\'s)')
    labels.add_argument('--label-file', help='label file for the text tower')
    p.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                   help='override config settings, key=value')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    options = {'model.backbone.pretrained': None,
               'model.cls_head.text_encoder.pretrained': None}
    if cfg.model.get('cls_head', {}).get('type') != 'VTDHead':
        raise SystemExit(f'{args.config}: the model has no VTDHead; use MMAction2\'s '
                         'tools/analysis_tools/get_flops.py for other models.')
    if args.frames:
        options['model.cls_head.num_frames'] = args.frames
    options.update(args.cfg_options or {})
    model = init_recognizer(cfg, cfg_options=options)
    head = model.cls_head
    names = parse_labels(args.labels if args.labels is not None else args.label_file) \
        or head.class_names
    frames = args.frames or head.num_frames or 8
    parts = count_model(model, frames, names)
    print(f'{args.config}: {model.backbone.arch.name if hasattr(model.backbone, "arch") else ""}'
          f', {frames} frames per view, {len(names)} class names')
    print(format_table(parts, frames, len(names)))
    return parts


if __name__ == '__main__':
    main()
