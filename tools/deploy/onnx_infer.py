"""Score videos with an exported VTD model on ONNX Runtime, without PyTorch.

    python tools/deploy/onnx_infer.py MODEL.onnx VIDEO [...] [--top-k 5] [--views 1]
        [--text TEXT.onnx [--labels "a,b,c"]]

Needs numpy, OpenCV, decord and onnxruntime only (torch is never imported);
with --text also ftfy and regex (CLIP's tokenizer, tools/deploy/clip_bpe.py).
Each view: the video cut into T equal segments, the middle frame of each
(MMAction2's UniformSample in test mode; more views shift the frames within
their segments), the shorter side resized to the model's input and a centre
crop. Prints the top-k classes, averaged over views, and each frame's token.

A model exported with --text-tower takes its codebook as an input: --text
names the text tower exported with it, which encodes --labels (default: the
label set named in the model).
"""
import argparse
import base64
import json
import os.path as osp
import sys

import cv2
import decord
import numpy as np
import onnxruntime as ort


def load(model_path):
    session = ort.InferenceSession(model_path, providers=['CPUExecutionProvider'])
    meta = session.get_modelmeta().custom_metadata_map
    if 'vtd_class_names' not in meta:
        raise SystemExit(f'{model_path} is not a model exported by tools/deploy/export_onnx.py '
                         '(no vtd_class_names in its metadata).')
    return (session, json.loads(meta['vtd_class_names']), int(meta['vtd_num_frames']),
            tuple(json.loads(meta['vtd_image_size'])))


def prompt_ids(meta, names):
    """Token ids [K, context length] of the prompts of ``names``, as the text
    encoder builds them: SOT, n_ctx placeholders, template(name), EOT."""
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from clip_bpe import ClipBPE
    bpe = ClipBPE(base64.b64decode(meta['vtd_text_bpe_gz_b64']))
    length, n_ctx = int(meta['vtd_text_context_length']), int(meta['vtd_text_n_ctx'])
    room = length - 2 - n_ctx
    ids = np.zeros((len(names), length), np.int64)
    for k, name in enumerate(names):
        body = bpe.encode(meta['vtd_text_template'].format(name.replace('_', ' ')))
        if len(body) > room:
            print(f'class name {name!r} takes {len(body)} tokens; {room} fit: truncated',
                  file=sys.stderr)
        row = [int(meta['vtd_text_start_id'])] + [0] * n_ctx + body[:room] + \
            [int(meta['vtd_text_end_id'])]
        ids[k, :len(row)] = row
    same = {}
    for name, row in zip(names, map(tuple, ids)):
        same.setdefault(row, []).append(name)
    clashes = [group for group in same.values() if len(group) > 1]
    if clashes:
        raise SystemExit(f'class names that give identical prompts (one could never be '
                         f'predicted): {clashes[:5]}; make them distinct.')
    return ids


def encode_words(text_path, names, digest):
    """The codebook [K, D] of ``names`` from the exported text tower, which
    must come from the model whose text encoder has ``digest``."""
    session = ort.InferenceSession(text_path, providers=['CPUExecutionProvider'])
    meta = session.get_modelmeta().custom_metadata_map
    if 'vtd_text_bpe_gz_b64' not in meta:
        raise SystemExit(f'{text_path} is not a text tower exported by '
                         'tools/deploy/export_onnx.py --text-tower.')
    if meta.get('vtd_text_digest') != digest:
        raise SystemExit(f'{text_path} is the text tower of another model (its weights or '
                         'prompts differ from those the recognizer was exported with): its '
                         'codebook would not match. Export both in one export_onnx.py call.')
    return session.run(None, {'ids': prompt_ids(meta, names)})[0]


def view_indices(total, frames, views=1):
    """Frame indices of each view: the centre of each of ``frames`` segments,
    shifted by v / views of a segment for view v."""
    segment = total / frames
    return [np.minimum((np.arange(frames) * segment + segment * (v + 0.5) / views).astype(int),
                       total - 1) for v in range(views)]


def prepare(frames, size):
    """[T, H, W, 3] uint8 RGB -> [T, 3, h, w] float32: shorter side to the
    model's size, centre crop."""
    out = []
    h, w = size
    for frame in frames:
        scale = max(h / frame.shape[0], w / frame.shape[1])
        resized = cv2.resize(frame, (max(w, round(frame.shape[1] * scale)),
                                     max(h, round(frame.shape[0] * scale))),
                             interpolation=cv2.INTER_LINEAR)
        top, left = (resized.shape[0] - h) // 2, (resized.shape[1] - w) // 2
        out.append(resized[top:top + h, left:left + w])
    return np.stack(out).transpose(0, 3, 1, 2).astype(np.float32)


def score(session, reader, frames, size, views, codebook=None):
    """Scores [K] averaged over views, and the frame tokens of the first view."""
    extra = {} if codebook is None else {'codebook': codebook}
    results = [session.run(None, {'frames': prepare(reader.get_batch(list(idx)).asnumpy(),
                                                    size), **extra})
               for idx in view_indices(len(reader), frames, views)]
    return np.mean([r[0][0] for r in results], axis=0), results[0][1][0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('model', help='.onnx file from tools/deploy/export_onnx.py')
    p.add_argument('videos', nargs='+')
    p.add_argument('--top-k', type=int, default=5)
    p.add_argument('--views', type=int, default=1)
    p.add_argument('--text', metavar='TEXT.onnx', help='the text tower exported with the model')
    p.add_argument('--labels', help='comma-separated class names (needs --text)')
    args = p.parse_args(argv)
    session, names, frames, size = load(args.model)
    codebook = None
    takes_codebook = any(i.name == 'codebook' for i in session.get_inputs())
    if takes_codebook != bool(args.text):
        p.error(f'{args.model} takes a codebook input: give --text TEXT.onnx' if takes_codebook
                else f'{args.model} has its label set folded in: --text needs a model exported '
                'with --text-tower')
    if args.labels is not None and not args.text:
        p.error('--labels needs --text (a model exported with --text-tower)')
    if args.text:
        if args.labels is not None:
            names = [n.strip() for n in args.labels.split(',') if n.strip()]
            if len(names) < 2:
                p.error('--labels needs at least two class names')
        digest = session.get_modelmeta().custom_metadata_map.get('vtd_text_digest')
        codebook = encode_words(args.text, names, digest)
    results = []
    for video in args.videos:
        try:
            reader = decord.VideoReader(video, num_threads=1)
        except Exception as err:  # decord raises its own error types
            print(f'{video}\n  skipped: cannot decode ({err})', file=sys.stderr)
            results.append(dict(video=video, error=str(err)))
            continue
        scores, tokens = score(session, reader, frames, size, args.views, codebook)
        top = np.argsort(-scores)[:args.top_k]
        results.append(dict(video=video, top_k=[(names[i], float(scores[i])) for i in top],
                             tokens=[names[i] for i in tokens]))
        print(video)
        for n, i in enumerate(top):
            print(f'  {n + 1}. {names[i]}  {scores[i]:.3f}')
        print('  frames: ' + ', '.join(names[i] for i in tokens))
    return results


if __name__ == '__main__':
    sys.exit(1 if any('error' in r for r in main()) else 0)
