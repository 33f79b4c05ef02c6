"""Export a VTD recognizer with its label set to ONNX, for ONNX Runtime without PyTorch.

    python tools/deploy/export_onnx.py CONFIG [CHECKPOINT] --out model.onnx
        [--labels "a,b,c" | --label-file FILE] [--text-tower text.onnx] [--int8]
        [--overwrite] [--cfg-options ...]

The graph holds the CLIP normalisation, the vision tower, the VTD head and the
fusion, with the codebook of the label set folded in as a constant. Input
`frames` [T, 3, H, W] float32 RGB 0-255 (T = the head's num_frames, H x W the
CLIP input); outputs `scores` [1, K], `frame_tokens` [1, T], `frame_weights`
[1, T, K]. The class names, T and the size are in the file's metadata.
Without CHECKPOINT the config's frozen CLIP is exported (zero-shot on the
labels given). Run it with tools/deploy/onnx_infer.py. --int8 quantises the
weights of the recognizer's matmuls to int8 (ONNX Runtime's dynamic
quantisation): a quarter of the file, about 2.7x the frames/s of fp32 on a
CPU, scores that move by up to ~0.2 (docs/deploy.md).

--text-tower FILE also writes the prompted text tower (input `ids` [K, 77]
prompt token ids, output `codebook` [K, D]; CLIP's BPE merge list in its
metadata), and the recognizer then takes the `codebook` [K, D] as a second
input instead of the folded one: a deployment can encode words of its own
(onnx_infer.py --text FILE --labels ...). The label set given here is the
default one.
"""
import argparse
import json
import os.path as osp

from vtd_mm.apis import model_for_words, parse_labels, refuse_existing_outputs
from vtd_mm.apis.onnx_export import export_onnx, export_text_onnx
from vtd_mm.engine import KeyValueAction


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='config file')
    p.add_argument('checkpoint', nargs='?', help='a checkpoint (.pth); none: the frozen CLIP')
    p.add_argument('--out', required=True, help='the .onnx file to write')
    labels = p.add_mutually_exclusive_group()
    labels.add_argument('--labels', help='comma-separated class names')
    labels.add_argument('--label-file', help='label file (.txt one name per line, or id,name .csv)')
    p.add_argument('--text-tower', metavar='FILE',
                   help='also write the text tower here; the recognizer takes a codebook input')
    p.add_argument('--int8', action='store_true',
                   help="the recognizer's matmul weights in int8 (needs onnxruntime)")
    p.add_argument('--overwrite', action='store_true', help='replace existing output files')
    p.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                   help='override config settings, key=value')
    args = p.parse_args(argv)
    if args.text_tower and osp.abspath(args.text_tower) == osp.abspath(args.out):
        p.error('--text-tower and --out name the same file')
    return args


def main(argv=None):
    args = parse_args(argv)
    outputs = [args.out] + ([args.text_tower] if args.text_tower else [])
    refuse_existing_outputs(outputs, '.', args.overwrite, [args.config] +
                            ([args.checkpoint] if args.checkpoint else []))
    labels = args.labels if args.labels is not None else args.label_file
    model = model_for_words(args.config, args.checkpoint, labels, cfg_options=args.cfg_options)
    meta = export_onnx(model, args.out, parse_labels(labels),
                       codebook_input=bool(args.text_tower), int8=args.int8)
    print(f"wrote {args.out}: {meta['vtd_num_frames']} frames of {meta['vtd_image_size']} px, "
          f"{len(json.loads(meta['vtd_class_names']))} classes"
          + (' (default label set; takes a codebook input)' if args.text_tower else ''))
    if args.text_tower:
        text = export_text_onnx(model, args.text_tower)
        print(f"wrote {args.text_tower}: prompt ids [K, {text['vtd_text_context_length']}] -> "
              'codebook')
    return meta


if __name__ == '__main__':
    main()
