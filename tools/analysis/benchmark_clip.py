"""Speed of the prompted CLIP towers on one device (random weights).

``--device cpu|cuda`` picks the device; ``--dtype fp32 bf16 fp16`` (one or
more) the precision: fp32, or autocast to bf16 / fp16 as ``tools/train.py
--amp`` trains (weights stay fp32). Every timing synchronises the device
around it. For each dtype, side by side in one run, it prints:

* a plain matmul's FLOP/s in that dtype on that device (the reference rate:
  utilisation below is model FLOP/s over it, i.e. MFU against a measured peak);
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
  parts: vision tower, text tower, and head with fusion, each forward + backward;
* throughput of the training step in clips/s at the configs' batches per
  device (``--throughput 16x16 8x32``: clips x frames), shared prefix, with
  and without ``with_cp``, and its peak memory.

Peak memory is ``torch.cuda.max_memory_allocated`` on a GPU and the process's
peak resident memory on a CPU.

FLOPs are forward plus input-gradient FLOPs (frozen weights owe no weight
gradients), counted by ``torch.utils.flop_counter`` on the operations actually
run, with attention decomposed into matmuls for counting; causal attention is
counted as the full square.

Examples::

    python tools/analysis/benchmark_clip.py --arch ViT-B-16 --num-classes 400
    python tools/analysis/benchmark_clip.py --device cuda --dtype fp32 bf16 --skip memory
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time

import open_clip
import torch

import vtd_mm  # noqa: F401
from vtd_mm.datasets import load_class_names
from vtd_mm.models import CLIPTextEncoder, CLIPVisionBackbone
from vtd_mm.models.clip import resolve_arch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark_inference  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arch', default='ViT-B-16',
                   help="open_clip model name, or an architecture dict as JSON "
                   "('{\"embed_dim\": ...}')")
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
    p.add_argument('--device', default='cpu', help="'cpu', 'cuda' or 'cuda:N'")
    p.add_argument('--dtype', nargs='+', default=['fp32'], choices=list(DTYPES),
                   help='fp32, or autocast to bf16 / fp16 (as --amp trains); several '
                   'are measured side by side')
    p.add_argument('--throughput', nargs='*', default=None, metavar='CLIPSxFRAMES',
                   help="training-step batches for clips/s (default on a GPU: the configs' "
                   '16 clips x 16 frames, fully supervised, and 8 x 32, the protocols; on a '
                   'CPU: 2x8)')
    p.add_argument('--skip', nargs='*', default=[],
                   choices=['vision', 'text', 'text-backward', 'memory', 'step', 'throughput',
                            'inference', 'pipeline', 'onnx'])
    p.add_argument('--step-frames', type=int, default=8, help='frames per clip (step)')
    p.add_argument('--step-text', nargs='+', default=list(TEXT_MODES), choices=TEXT_MODES,
                   help='text variants of the training-step section (default: all three)')
    p.add_argument('--step-batch', type=int, default=2, help='clips per step')
    p.add_argument('--profile', action='store_true',
                   help="print the training step's operators by their own time (torch.profiler)")
    p.add_argument('--memory-probe', choices=['plain', 'cp'], help=argparse.SUPPRESS)
    benchmark_inference.add_arguments(p)
    args = p.parse_args(argv)
    if args.arch.lstrip().startswith('{'):
        args.arch = json.loads(args.arch)
    args.device = torch.device(args.device)
    if args.device.type == 'cuda' and not torch.cuda.is_available():
        p.error('--device cuda: no GPU is visible to torch here')
    if args.throughput is None:
        args.throughput = ['16x16', '8x32'] if args.device.type == 'cuda' else ['2x8']
    try:
        args.throughput = [tuple(int(v) for v in b.lower().split('x')) for b in args.throughput]
    except ValueError:
        p.error(f'--throughput takes CLIPSxFRAMES items, e.g. 16x16, got {args.throughput}')
    args.precision = args.dtype[0]
    return args


DTYPES = dict(fp32=None, bf16=torch.bfloat16, fp16=torch.float16)


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def autocast(args):
    """The precision being measured: autocast to bf16 / fp16, or fp32."""
    dtype = DTYPES[args.precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(args.device.type, dtype=dtype)


def timed(fn, repeats, device=torch.device('cpu')):
    """Seconds of one call: the best of several calls after a warm-up call,
    the device synchronised before and after each.

    The minimum is the most stable figure on a shared, noisy machine. Calls
    under 2 s run ``repeats`` times, longer ones twice; a first call of over
    60 s is taken as it is.
    """
    def once():
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - start
    first = once()
    if first >= 60.0:
        return first
    return min(once() for _ in range(repeats if first < 2.0 else 2))


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


def matmul_rate(repeats, device=torch.device('cpu'), dtype='fp32', n=2048):
    """Best FLOP/s of a square matmul in ``dtype`` on ``device`` (best, not
    median: a conservative reference). On a GPU the matrices are 8192^2 (a
    2048^3 matmul takes microseconds there) and 10 products are timed together."""
    n = 8192 if device.type == 'cuda' else n
    a, b = (torch.randn(n, n, device=device, dtype=DTYPES[dtype] or torch.float32)
            for _ in range(2))
    reps = 10 if device.type == 'cuda' else 1

    def products():
        for _ in range(reps):
            torch.mm(a, b)
    seconds = min(timed(products, 1, device) for _ in range(max(repeats, 15)))
    return 2 * n ** 3 * reps / seconds


def vision_step(backbone, x, args=None):
    def step():
        backbone.zero_grad(set_to_none=True)
        with autocast(args) if args is not None else contextlib.nullcontext():
            out = backbone(x).float().sum()
        out.backward()
    return step


def build_backbone(args, with_cp=False):
    return CLIPVisionBackbone(arch=args.arch, n_ctx=args.n_ctx, depth=args.depth,
                              with_cp=with_cp).to(args.device)


def frames_of(backbone, n):
    return torch.randn(n, 3, *backbone.image_size, device=backbone.prompts.device)


def bench_vision(args, rate):
    backbone = build_backbone(args)
    x = frames_of(backbone, args.frames)
    seconds = timed(vision_step(backbone, x, args), args.repeats, args.device)
    flops = count_flops(vision_step(backbone, frames_of(backbone, 1))) * args.frames
    # open_clip's own tower (nn.MultiheadAttention blocks) with the same weights, on the
    # same tokens, prompts included
    arch = backbone.arch
    v = open_clip.CLIP(arch.embed_dim, arch.vision_cfg, arch.text_cfg,
                       quick_gelu=backbone.quick_gelu).visual
    v.load_state_dict(backbone.visual.state_dict())
    v.to(args.device).requires_grad_(False)
    tokens = v.ln_pre(backbone.embed(x)).detach().requires_grad_()

    def open_clip_step():
        tokens.grad = None
        with autocast(args):
            out = (v.ln_post(v.transformer(tokens)[:, 0]) @ v.proj).float().sum()
        out.backward()
    reference = timed(open_clip_step, args.repeats, args.device)
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
        type='TextPromptLearner', n_ctx=args.n_ctx, depth=args.depth)).to(args.device)
    enc.train(backward)

    def run(label_set):
        if backward:
            enc.zero_grad(set_to_none=True)
            with autocast(args):
                out = enc(label_set).float().sum()
            out.backward()
        else:
            with torch.no_grad(), autocast(args):
                enc._codebooks.clear()  # eval caches codebooks: time the encoding
                enc(label_set)
    rows = {}
    for mode in TEXT_MODES:
        enc.mode = mode
        seconds = timed(lambda: run(names), args.repeats, args.device)
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


def peak_memory_mib(fn, device=torch.device('cpu')):
    """Run ``fn``; the peak memory during it (MiB): ``max_memory_allocated``
    on a GPU, the process's peak resident memory on a CPU."""
    if device.type == 'cuda':
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        sync(device)
        return torch.cuda.max_memory_allocated(device) / 2 ** 20
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak (VmHWM) to the current RSS
    fn()
    return vm_kib('VmHWM') / 1024


def build_vtd(args, names, frames, with_cp=False):
    """A VTD-CLIP recognizer on ``args.device`` (random weights, training mode)."""
    from mmaction.registry import MODELS
    from mmaction.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    from mmengine.config import Config
    clip_input = Config.fromfile(os.path.join(ROOT, 'configs', '_base_', 'models',
                                              'clip_preprocessing.py')).model
    model = MODELS.build(dict(
        type='Recognizer2D',
        data_preprocessor=clip_input.data_preprocessor,
        backbone=dict(type='CLIPVisionBackbone', arch=args.arch, n_ctx=args.n_ctx,
                      depth=args.depth, with_cp=with_cp),
        cls_head=dict(type='VTDHead', num_classes=len(names),
                      in_channels=resolve_arch(args.arch).embed_dim,
                      class_names=names, num_frames=frames,
                      text_encoder=dict(type='CLIPTextEncoder', arch=args.arch,
                                        prompt_learner=dict(type='TextPromptLearner',
                                                            n_ctx=args.n_ctx, depth=args.depth)))))
    return model.to(args.device).train()


def training_step(model, args, clips, frames):
    """One forward + backward of ``clips`` clips of ``frames`` frames."""
    from mmaction.structures import ActionDataSample
    names = model.cls_head.class_names
    x = frames_of(model.backbone, clips * frames)
    inputs = x.view(clips, frames, *x.shape[1:])
    samples = [ActionDataSample().set_gt_label(
        torch.tensor([i % len(names)], device=args.device)) for i in range(clips)]

    def step():
        model.zero_grad(set_to_none=True)
        with autocast(args):
            loss = model(inputs, samples, mode='loss')['loss_cls']
        loss.backward()
    return step, x, samples


def bench_step(args, rate):
    """A VTD-CLIP training step and its parts, each forward + backward, per text variant."""
    names = class_names(args)
    model = build_vtd(args, names, args.step_frames)
    backbone, head = model.backbone, model.cls_head
    text_encoder = head.text_encoder
    frames = args.step_batch * args.step_frames
    step, x, samples = training_step(model, args, args.step_batch, args.step_frames)

    def text(label_set=names):
        model.zero_grad(set_to_none=True)
        with autocast(args):
            out = text_encoder(label_set).float().sum()
        out.backward()

    device = args.device
    feats = torch.randn(frames, backbone.embed_dim, requires_grad=True, device=device)
    codebook = torch.randn(len(names), backbone.embed_dim, requires_grad=True, device=device)

    def head_only():
        model.zero_grad(set_to_none=True)
        with autocast(args):
            loss = head.loss(feats, samples, num_segs=args.step_frames)['loss_cls']
        loss.backward()

    shared = dict(vision=dict(seconds=timed(vision_step(backbone, x, args), args.repeats, device),
                              flops=count_flops(vision_step(backbone, frames_of(backbone, 1)))
                              * frames))
    head.text_encoder = _Fixed(codebook)
    try:
        shared['head'] = dict(seconds=timed(head_only, max(args.repeats, 5), device),
                              flops=count_flops(head_only))
    finally:
        head.text_encoder = text_encoder
    rows = {}
    for mode in args.step_text:
        text_encoder.mode = mode
        t = dict(seconds=timed(text, args.repeats, device),
                 flops=text_flops(text_encoder, names, text))
        total = dict(seconds=timed(step, args.repeats, device),
                     peak_mib=peak_memory_mib(step, device),
                     flops=shared['vision']['flops'] + t['flops'] + shared['head']['flops'])
        rows[mode] = dict(step=total, text=t, **shared)
    for parts in rows.values():
        for r in parts.values():
            r['util'] = r['flops'] / r['seconds'] / rate
    if args.profile:
        for mode in args.step_text:
            text_encoder.mode = mode
            rows[mode]['profile'] = operator_profile(step, args.device)
    return rows


def operator_profile(fn, device, rows=12):
    """The operators of one call of ``fn`` by their own time: a table."""
    from torch.profiler import ProfilerActivity, profile
    cuda = device.type == 'cuda'
    with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
                 ) as prof:
        fn()
        sync(device)
    return prof.key_averages().table(
        sort_by='self_cuda_time_total' if cuda else 'self_cpu_time_total', row_limit=rows)


def bench_throughput(args, rate):
    """clips/s of the training step (shared prefix) at each batch of
    ``args.throughput``, with and without ``with_cp``; peak memory."""
    names = class_names(args)
    rows = []
    for clips, frames in args.throughput:
        for with_cp in (False, True):
            model = build_vtd(args, names, frames, with_cp=with_cp)
            step, _, _ = training_step(model, args, clips, frames)
            if not with_cp:  # model FLOPs (with_cp's recomputation is not counted)
                flops = count_flops(step)
            seconds = timed(step, min(args.repeats, 2), args.device)
            rows.append(dict(clips=clips, frames=frames, with_cp=with_cp, seconds=seconds,
                             clips_per_s=clips / seconds, util=flops / seconds / rate,
                             peak_mib=peak_memory_mib(step, args.device)))
            del model, step
            if args.device.type == 'cuda':
                torch.cuda.empty_cache()
    return rows


def vm_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def memory_probe(args):
    """Peak memory of one vision forward + backward: over the built model (step)
    and in all (peak). On a CPU this runs in a child process of its own."""
    backbone = build_backbone(args, with_cp=args.memory_probe == 'cp')
    x = frames_of(backbone, args.frames)
    if args.device.type == 'cuda':
        before = torch.cuda.memory_allocated(args.device) / 2 ** 20
        peak = peak_memory_mib(vision_step(backbone, x, args), args.device)
        return dict(step_mib=peak - before, peak_mib=peak)
    before = vm_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak (VmHWM) to the current RSS
    vision_step(backbone, x, args)()
    peak = vm_kib('VmHWM')
    out = dict(step_mib=(peak - before) / 1024, peak_mib=peak / 1024)
    print(json.dumps(out))
    return out


def bench_memory(args):
    out = {}
    for variant in ('plain', 'cp'):
        if args.device.type == 'cuda':
            probe = argparse.Namespace(**dict(vars(args), memory_probe=variant))
            out[variant] = memory_probe(probe)
            torch.cuda.empty_cache()
            continue
        cmd = [sys.executable, os.path.abspath(__file__), '--memory-probe', variant,
               '--arch', args.arch if isinstance(args.arch, str) else json.dumps(args.arch),
               '--frames', str(args.frames), '--dtype', args.precision,
               '--n-ctx', str(args.n_ctx), '--depth', str(args.depth)]
        if args.threads:
            cmd += ['--threads', str(args.threads)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[variant] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def device_name(device):
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    model = next((line.split(':', 1)[1].strip() for line in open('/proc/cpuinfo')
                  if line.startswith('model name')), 'CPU')
    flags = next((line.split(':', 1)[1].split() for line in open('/proc/cpuinfo')
                  if line.startswith('flags')), [])
    units = [f for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16') if f in flags]
    return f"{model} ({', '.join(units) or 'no AVX2'}), {torch.get_num_threads()} threads"


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_probe:
        return memory_probe(args)
    print(f'arch {args.arch} on {args.device} ({device_name(args.device)}), random weights, '
          f'prompts n_ctx={args.n_ctx} depth={args.depth} (CLIP frozen); '
          f"precision: {', '.join(args.dtype)}")
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        wanted = {'inference', 'pipeline'} - set(args.skip)
        args.video = benchmark_inference.generated_video(args, workdir) if wanted else None
        for precision in args.dtype:
            args.precision = precision
            torch.manual_seed(0)
            results[precision] = run_precision(args)
        extra = {}
        if 'pipeline' not in args.skip:
            extra['pipeline'] = benchmark_inference.bench_pipeline(args, args.video)
            benchmark_inference.print_pipeline(args, extra['pipeline'])
        if 'onnx' not in args.skip:
            extra['onnx'] = benchmark_inference.bench_onnx(args, workdir)
            benchmark_inference.print_onnx(extra['onnx'])
    if len(args.dtype) > 1:
        print_side_by_side(args, results)
    return dict(results, **extra)


def run_precision(args):
    """Every section in one precision (``args.precision``)."""
    p = args.precision
    mode = 'fp32' if p == 'fp32' else f'autocast {p}'
    rate = matmul_rate(args.repeats, args.device, p)
    out = dict(matmul=rate)
    print(f'\n=== {mode} ===\nplain {p} matmul (best of 15): {rate / 1e9:.1f} GFLOP/s '
          '(the reference rate: utilisation = model FLOP/s over it)')

    if 'vision' not in args.skip:
        v = out['vision'] = bench_vision(args, rate)
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
            rows = out['text_bwd' if backward else 'text'] = bench_text(args, rate, backward)
            for mode, r in rows.items():
                label = f"{mode} {'fwd+bwd' if backward else 'fwd'}"
                speedup = rows['full']['seconds'] / r['seconds']
                print(f"{label:<22}{r['tokens']:>8}{r['seconds']:>10.2f}"
                      f"{r['flops'] / 1e9:>9.0f}{100 * r['util']:>6.0f}%{speedup:>9.2f}x")

    if 'memory' not in args.skip:
        m = out['memory'] = bench_memory(args)
        ratio = m['plain']['step_mib'] / max(m['cp']['step_mib'], 1e-9)
        where = 'GPU memory allocated' if args.device.type == 'cuda' else 'resident memory'
        print(f'\npeak {where} of vision fwd+bwd, {args.frames} frames '
              '(growth over the built model / in all):')
        for variant, label in (('plain', 'with_cp=False'), ('cp', 'with_cp=True')):
            print(f"  {label:<14} {m[variant]['step_mib']:8.0f} MiB / "
                  f"{m[variant]['peak_mib']:8.0f} MiB")
        print(f'  with_cp uses {ratio:.1f}x less step memory')

    if 'step' not in args.skip:
        rows = out['step'] = bench_step(args, rate)
        print(f'\nVTD-CLIP training step: {args.step_batch} clips x {args.step_frames} frames, '
              f'{args.num_classes} class names, forward + backward, per text variant')
        print(f"{'text variant':<15}{'part':<15}{'seconds':>9}{'share':>8}{'GFLOP':>8}"
              f"{'util':>6}{'peak mem':>11}")
        for mode, parts in rows.items():
            total = parts['step']['seconds']
            for part in ('step', 'vision', 'text', 'head'):
                r = parts[part]
                label = dict(step='whole step', head='head + fusion').get(part, f'{part} tower')
                peak = f"{r['peak_mib']:>8.0f} MiB" if 'peak_mib' in r else ''
                print(f"{mode if part == 'step' else '':<15}{label:<15}{r['seconds']:>9.3f}"
                      f"{100 * r['seconds'] / total:>7.1f}%{r['flops'] / 1e9:>8.1f}"
                      f"{100 * r['util']:>5.0f}%{peak}")
        for mode, parts in rows.items():
            if 'profile' in parts:
                print(f'\noperators of the {mode} step by their own time:\n{parts["profile"]}')
        if 'full' in rows:
            full = rows['full']['step']['seconds']
            print('whole step vs. full sequence: ' + ', '.join(
                f"{m} {full / r['step']['seconds']:.2f}x" for m, r in rows.items()))

    if 'throughput' not in args.skip and args.throughput:
        rows = out['throughput'] = bench_throughput(args, rate)
        print(f'\ntraining-step throughput, shared prefix, {args.num_classes} class names:')
        print(f"{'clips x frames':<16}{'with_cp':<9}{'seconds':>9}{'clips/s':>9}{'util':>6}"
              f"{'peak mem':>11}")
        for r in rows:
            print(f"{r['clips']:>5} x {r['frames']:<8}{str(r['with_cp']):<9}{r['seconds']:>9.3f}"
                  f"{r['clips_per_s']:>9.2f}{100 * r['util']:>5.0f}%{r['peak_mib']:>8.0f} MiB")

    if 'inference' not in args.skip:
        r = out['inference'] = benchmark_inference.bench_inference(args, rate, args.video)
        benchmark_inference.print_inference(args, r)
    return out


def print_side_by_side(args, results):
    """The precisions next to each other: the step (shared prefix) and throughput."""
    base = args.dtype[0]
    print(f'\n=== side by side (ratio: {base} time / this time) ===')
    if 'step' not in args.skip:
        for mode in args.step_text:
            ref = results[base]['step'][mode]['step']['seconds']
            for p, r in results.items():
                step = r['step'][mode]['step']
                print(f"training step {args.step_batch}x{args.step_frames}, {mode}, {p:<5}: "
                      f"{step['seconds']:.3f} s, {100 * step['util']:.0f}% of the {p} matmul, "
                      f"{ref / step['seconds']:.2f}x")
    if 'inference' not in args.skip:
        ref = results[base]['inference']
        for p in args.dtype:
            r = results[p]['inference']
            print(f"inference {args.windows}x{args.window_frames}, {p:<5}: model alone "
                  f"{r['frames_per_s']:.1f} frames/s ({100 * r['util']:.0f}% of the {p} matmul, "
                  f"{r['frames_per_s'] / ref['frames_per_s']:.2f}x); end to end "
                  f"{r['end_to_end_1']:.1f} frames/s with 1 worker")
    if 'throughput' not in args.skip and args.throughput:
        for i, row in enumerate(results[base]['throughput']):
            cells = ', '.join(f"{p} {r['throughput'][i]['clips_per_s']:.2f} clips/s"
                              for p, r in results.items())
            print(f"{row['clips']}x{row['frames']} with_cp={row['with_cp']}: {cells}")


if __name__ == '__main__':
    main()
