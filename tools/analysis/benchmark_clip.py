"""Speed of the prompted CLIP towers on this machine (random weights, fp32).

Prints, side by side in one run:

* a plain fp32 matmul's FLOP/s (the reference rate of this machine);
* the vision tower, forward + backward with trainable prompts and frozen CLIP:
  frames/s, achieved FLOP/s and its fraction of the matmul rate;
* the codebook of K class names with the full 77-token sequence, the
  sequence cut to the longest prompt, and the shared prefix (computed once,
  class suffixes packed): forward (building the codebook) and forward +
  backward (a training step's text side), time and FLOP fraction;
* peak memory of the vision forward + backward with and without ``with_cp``
  (each in its own process);
* a whole VTD-CLIP training step (``--step-batch`` clips of ``--step-frames``
  frames, K class names) for each text variant, with its peak memory, and its
  parts: vision tower, text tower, and head with fusion, each forward + backward.

FLOPs are forward plus input-gradient FLOPs (frozen weights owe no weight
gradients), counted by ``torch.utils.flop_counter`` on the operations actually
run, with attention decomposed into matmuls for counting; causal attention is
counted as the full square.

Example::

    python tools/analysis/benchmark_clip.py --arch ViT-B-16 --num-classes 400
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch

import vtd_mm  # noqa: F401
from vtd_mm.datasets import load_class_names
from vtd_mm.models import CLIPTextEncoder, CLIPVisionBackbone


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default='ViT-B-16', help='open_clip model name')
    p.add_argument('--frames', type=int, default=16, help='frames per vision step')
    p.add_argument('--num-classes', type=int, default=400,
                   help='K class names (the Kinetics-400 names, repeated if K > 400)')
    p.add_argument('--labels', default='kinetics_400_labels.csv',
                   help='label file for the class names')
    p.add_argument('--n-ctx', type=int, default=16, help='prompt tokens (both towers)')
    p.add_argument('--depth', type=int, default=12, help='prompt depth (both towers)')
    p.add_argument('--repeats', type=int, default=3,
                   help='timed runs (after a warm-up, best taken) of a measurement under 2 s')
    p.add_argument('--threads', type=int, default=None, help='torch threads')
    p.add_argument('--skip', nargs='*', default=[],
                   choices=['vision', 'text', 'text-backward', 'memory', 'step'])
    p.add_argument('--step-frames', type=int, default=8, help='frames per clip (step)')
    p.add_argument('--step-batch', type=int, default=2, help='clips per step')
    p.add_argument('--memory-probe', choices=['plain', 'cp'], help=argparse.SUPPRESS)
    return p.parse_args(argv)


def timed(fn, repeats):
    """Seconds of one call: the best of several calls after a warm-up call.

    The minimum is the most stable figure on a shared, noisy machine. Calls
    under 2 s run ``repeats`` times, longer ones twice; a first call of over
    60 s is taken as it is.
    """
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if first >= 60.0:
        return first
    runs = []
    for _ in range(repeats if first < 2.0 else 2):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return min(runs)


def op_flops(fn):
    """{op name: FLOPs} of ``fn()`` (2 per multiply-add); attention through the
    math kernel, so that ``scaled_dot_product_attention`` is counted."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        fn()
    counts = counter.get_flop_counts().get('Global', {})  # absent when nothing counted
    return {str(op).split('.')[-1]: n for op, n in counts.items()}


def count_flops(fn):
    return sum(op_flops(fn).values())


def matmul_rate(repeats, n=2048):
    """Best FLOP/s of a square fp32 matmul (best, not median: a conservative reference)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    runs = []
    for _ in range(max(repeats, 15)):
        start = time.perf_counter()
        torch.mm(a, b)
        runs.append(time.perf_counter() - start)
    return 2 * n ** 3 / min(runs)


def vision_step(backbone, x):
    def step():
        backbone.zero_grad(set_to_none=True)
        backbone(x).sum().backward()
    return step


def build_backbone(args, with_cp=False):
    return CLIPVisionBackbone(arch=args.arch, n_ctx=args.n_ctx, depth=args.depth,
                              with_cp=with_cp)


def frames_of(backbone, n):
    return torch.randn(n, 3, *backbone.image_size)


def bench_vision(args, rate):
    backbone = build_backbone(args)
    x = frames_of(backbone, args.frames)
    seconds = timed(vision_step(backbone, x), args.repeats)
    flops = count_flops(vision_step(backbone, frames_of(backbone, 1))) * args.frames
    # open_clip's own blocks (nn.MultiheadAttention) on the same tokens, prompts included
    v = backbone.visual
    tokens = v.ln_pre(backbone.embed(x)).detach().requires_grad_()

    def open_clip_step():
        tokens.grad = None
        (v.ln_post(v.transformer(tokens)[:, 0]) @ v.proj).sum().backward()
    reference = timed(open_clip_step, args.repeats)
    return dict(seconds=seconds, frames_per_s=args.frames / seconds, tokens=tokens.shape[1],
                flops=flops, util=flops / seconds / rate, open_clip_seconds=reference)


def class_names(args):
    names = load_class_names(args.labels)
    return [names[i % len(names)] for i in range(args.num_classes)]


TEXT_MODES = ('full', 'cut', 'shared_prefix')


def text_tokens(enc, names, mode):
    """Tokens the text tower computes per pass for ``names`` in ``mode``."""
    ids, eos = enc.tokenize(names)
    if mode == 'full':
        return enc.context_length * len(names)
    if mode == 'cut':
        return (int(eos.max()) + 1) * len(names)
    packed = enc.packed(names)
    return packed.prefix_len + len(packed.tokens)


def text_flops(enc, names, run):
    """FLOPs of ``run(label_set)``; full / cut scale from the longest name alone."""
    if enc.mode == 'shared_prefix':
        return count_flops(lambda: run(names))
    longest = [names[int(enc.tokenize(names)[1].argmax())]]
    return count_flops(lambda: run(longest)) * len(names)


def bench_text(args, rate, backward):
    names = class_names(args)
    enc = CLIPTextEncoder(arch=args.arch, prompt_learner=dict(
        type='TextPromptLearner', n_ctx=args.n_ctx, depth=args.depth))
    enc.train(backward)

    def run(label_set):
        if backward:
            enc.zero_grad(set_to_none=True)
            enc(label_set).sum().backward()
        else:
            with torch.no_grad():
                enc._codebooks.clear()  # eval caches codebooks: time the encoding
                enc(label_set)
    rows = {}
    for mode in TEXT_MODES:
        enc.mode = mode
        seconds = timed(lambda: run(names), args.repeats)
        flops = text_flops(enc, names, run)
        rows[mode] = dict(seconds=seconds, tokens=text_tokens(enc, names, mode), flops=flops,
                          util=flops / seconds / rate)
    return rows


class _Fixed(torch.nn.Module):
    """Stands in for the text encoder: returns a given codebook."""

    def __init__(self, codebook):
        super().__init__()
        self.codebook = codebook

    def forward(self, names=None):
        return self.codebook


def peak_rss_mib(fn):
    """Run ``fn``; the process's peak resident memory during it (MiB)."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak (VmHWM) to the current RSS
    fn()
    return vm_kib('VmHWM') / 1024


def bench_step(args, rate):
    """A VTD-CLIP training step and its parts, each forward + backward, per text variant."""
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    names = class_names(args)
    model = MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='CLIPVisionBackbone', arch=args.arch, n_ctx=args.n_ctx,
                      depth=args.depth),
        cls_head=dict(type='VTDHead', num_classes=len(names), in_channels=512,
                      class_names=names, num_frames=args.step_frames,
                      text_encoder=dict(type='CLIPTextEncoder', arch=args.arch,
                                        prompt_learner=dict(type='TextPromptLearner',
                                                            n_ctx=args.n_ctx, depth=args.depth)))))
    model.train()
    backbone, head = model.backbone, model.cls_head
    text_encoder = head.text_encoder
    frames = args.step_batch * args.step_frames
    x = frames_of(backbone, frames)
    samples = [ActionDataSample().set_gt_label(torch.tensor([i % len(names)]))
               for i in range(args.step_batch)]
    inputs = x.view(args.step_batch, args.step_frames, *x.shape[1:])

    def step():
        model.zero_grad(set_to_none=True)
        model(inputs, samples, mode='loss')['loss_cls'].backward()

    def text(label_set=names):
        model.zero_grad(set_to_none=True)
        text_encoder(label_set).sum().backward()

    feats = torch.randn(frames, backbone.embed_dim, requires_grad=True)
    codebook = torch.randn(len(names), backbone.embed_dim, requires_grad=True)

    def head_only():
        model.zero_grad(set_to_none=True)
        head.loss(feats, samples, num_segs=args.step_frames)['loss_cls'].backward()

    shared = dict(vision=dict(seconds=timed(vision_step(backbone, x), args.repeats),
                              flops=count_flops(vision_step(backbone, frames_of(backbone, 1)))
                              * frames))
    head.text_encoder = _Fixed(codebook)
    try:
        shared['head'] = dict(seconds=timed(head_only, max(args.repeats, 5)),
                              flops=count_flops(head_only))
    finally:
        head.text_encoder = text_encoder
    rows = {}
    for mode in TEXT_MODES:
        text_encoder.mode = mode
        t = dict(seconds=timed(text, args.repeats), flops=text_flops(text_encoder, names, text))
        total = dict(seconds=timed(step, args.repeats), peak_mib=peak_rss_mib(step),
                     flops=shared['vision']['flops'] + t['flops'] + shared['head']['flops'])
        rows[mode] = dict(step=total, text=t, **shared)
    for parts in rows.values():
        for r in parts.values():
            r['util'] = r['flops'] / r['seconds'] / rate
    return rows


def vm_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def memory_probe(args):
    """Peak resident memory of one vision forward + backward (run in a child process)."""
    backbone = build_backbone(args, with_cp=args.memory_probe == 'cp')
    x = frames_of(backbone, args.frames)
    before = vm_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak (VmHWM) to the current RSS
    vision_step(backbone, x)()
    peak = vm_kib('VmHWM')
    print(json.dumps(dict(step_mib=(peak - before) / 1024, peak_mib=peak / 1024)))


def bench_memory(args):
    out = {}
    for variant in ('plain', 'cp'):
        cmd = [sys.executable, os.path.abspath(__file__), '--memory-probe', variant,
               '--arch', args.arch, '--frames', str(args.frames),
               '--n-ctx', str(args.n_ctx), '--depth', str(args.depth)]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[variant] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        return memory_probe(args)
    torch.manual_seed(0)
    print(f'arch {args.arch}, random weights, fp32, {torch.get_num_threads()} threads, '
          f'prompts n_ctx={args.n_ctx} depth={args.depth} (CLIP frozen)')
    rate = matmul_rate(args.repeats)
    print(f'plain fp32 matmul (2048^3, best of 15): {rate / 1e9:.1f} GFLOP/s')

    if 'vision' not in args.skip:
        v = bench_vision(args, rate)
        print(f"\nvision tower fwd+bwd, {args.frames} frames: {v['seconds']:.2f} s, "
              f"{v['frames_per_s']:.2f} frames/s, {v['flops'] / 1e9:.0f} GFLOP, "
              f"{v['flops'] / v['seconds'] / 1e9:.1f} GFLOP/s = {100 * v['util']:.0f}% of matmul")
        print(f"  open_clip's blocks on the same {v['tokens']} tokens: "
              f"{v['open_clip_seconds']:.2f} s (vtd_mm / open_clip = "
              f"{v['seconds'] / v['open_clip_seconds']:.2f})")

    if 'text' not in args.skip:
        print(f'\ncodebook of {args.num_classes} class names ({args.labels}):')
        print(f"{'variant':<22}{'tokens':>8}{'seconds':>10}{'GFLOP':>9}{'util':>7}{'speed-up':>10}")
        passes = [False] + ([] if 'text-backward' in args.skip else [True])
        for backward in passes:
            rows = bench_text(args, rate, backward)
            for mode, r in rows.items():
                label = f"{mode} {'fwd+bwd' if backward else 'fwd'}"
                speedup = rows['full']['seconds'] / r['seconds']
                print(f"{label:<22}{r['tokens']:>8}{r['seconds']:>10.2f}"
                      f"{r['flops'] / 1e9:>9.0f}{100 * r['util']:>6.0f}%{speedup:>9.2f}x")

    if 'memory' not in args.skip:
        m = bench_memory(args)
        ratio = m['plain']['step_mib'] / max(m['cp']['step_mib'], 1e-9)
        print(f'\npeak memory of vision fwd+bwd, {args.frames} frames '
              '(growth over the built model / whole process):')
        for variant, label in (('plain', 'with_cp=False'), ('cp', 'with_cp=True')):
            print(f"  {label:<14} {m[variant]['step_mib']:8.0f} MiB / "
                  f"{m[variant]['peak_mib']:8.0f} MiB")
        print(f'  with_cp uses {ratio:.1f}x less step memory')

    if 'step' not in args.skip:
        rows = bench_step(args, rate)
        print(f'\nVTD-CLIP training step: {args.step_batch} clips x {args.step_frames} frames, '
              f'{args.num_classes} class names, forward + backward, per text variant')
        print(f"{'text variant':<15}{'part':<15}{'seconds':>9}{'share':>8}{'GFLOP':>8}"
              f"{'util':>6}{'peak RSS':>11}")
        for mode, parts in rows.items():
            total = parts['step']['seconds']
            for part in ('step', 'vision', 'text', 'head'):
                r = parts[part]
                label = dict(step='whole step', head='head + fusion').get(part, f'{part} tower')
                peak = f"{r['peak_mib']:>8.0f} MiB" if 'peak_mib' in r else ''
                print(f"{mode if part == 'step' else '':<15}{label:<15}{r['seconds']:>9.3f}"
                      f"{100 * r['seconds'] / total:>7.1f}%{r['flops'] / 1e9:>8.1f}"
                      f"{100 * r['util']:>5.0f}%{peak}")
        full = rows['full']['step']['seconds']
        print('whole step vs. full sequence: ' + ', '.join(
            f"{m} {full / r['step']['seconds']:.2f}x" for m, r in rows.items()))


if __name__ == '__main__':
    main()
