"""Decode every video of an annotation list; write a report and a clean list.

    python tools/data/check_videos.py LIST [--data-prefix DIR] [--workers N]
        [--frames N] [--out-dir DIR] [--multi-class]

LIST is MMAction2's "path label" video list (a path may hold spaces; with
``--multi-class``, "path label label ..."). Every entry is opened with
decord and its frames are decoded (all of them, or ``--frames N`` spread over
the video, the last one included), in parallel, with a progress bar. Written
next to LIST (or in ``--out-dir``):

- ``<list>.broken.txt``: line number, path and the reason, one per broken entry;
- ``<list>.clean.txt``: the entries that decoded, unchanged, in their order.

Train on the clean list, or keep the list and set ``skip_broken=True`` on a
``CheckedVideoDataset``.
"""
import argparse
import os
import os.path as osp
from multiprocessing import Pool


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('list', help='annotation list ("path label" per line)')
    p.add_argument('--data-prefix', default='', help='folder the paths are relative to')
    p.add_argument('--workers', type=int, default=os.cpu_count() or 1,
                   help='decoding processes (default: all cores)')
    p.add_argument('--frames', type=int, default=0,
                   help='frames to decode per video, spread over it (default 0: all)')
    p.add_argument('--out-dir', help='where to write the report and the clean list '
                   '(default: next to LIST)')
    p.add_argument('--multi-class', action='store_true',
                   help='the list has several labels per line ("path label label ...")')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an earlier report and clean list of the same names')
    args = p.parse_args(argv)
    if args.frames < 0:
        p.error(f'--frames must be 0 (every frame) or a number of frames, got {args.frames}')
    if args.workers < 1:
        p.error(f'--workers must be at least 1, got {args.workers}')
    return args


def check_video(path: str, frames: int = 0, chunk: int = 64):
    """None if ``path`` decodes, else the reason (one line)."""
    import decord

    from vtd_mm.datasets.checked_video_dataset import check_decoded, decoding_error_text
    if not osp.isfile(path):
        return 'file not found'
    if osp.getsize(path) == 0:
        return 'empty file (0 bytes)'
    try:
        reader = decord.VideoReader(path, num_threads=1)
        total = len(reader)
        if total == 0:
            return 'no frames'
        if frames and frames < total:
            indices = sorted({round(i * (total - 1) / max(frames - 1, 1)) for i in range(frames)})
        else:
            indices = list(range(total))
        for start in range(0, len(indices), chunk):
            check_decoded(dict(imgs=reader.get_batch(indices[start:start + chunk]).asnumpy()))
    except Exception as err:  # decord raises RuntimeError / DECORDError
        return decoding_error_text(err)
    return None


def _check(job):
    number, line, path, frames = job
    return number, line, path, check_video(path, frames)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.utils import ProgressBar
    from vtd_mm.datasets.annotation_list import annotation_entries
    try:  # a FIFO would block, /dev/zero fill memory: refused
        entries = annotation_entries(args.list, multi_class=args.multi_class)
    except (OSError, ValueError) as err:
        raise SystemExit(str(err)) from None
    out_dir = args.out_dir or osp.dirname(osp.abspath(args.list))
    stem = osp.splitext(osp.basename(args.list))[0]
    broken_path = osp.join(out_dir, f'{stem}.broken.txt')
    clean_path = osp.join(out_dir, f'{stem}.clean.txt')
    existing = [p for p in (broken_path, clean_path) if osp.exists(p)]
    if existing and not args.overwrite:  # before any video is decoded
        raise SystemExit(f'{" and ".join(existing)} exist: give another --out-dir, or '
                         '--overwrite to replace them.')
    jobs = [(e.number, e.line, osp.join(args.data_prefix, e.item), args.frames) for e in entries]
    results = {}
    bar = ProgressBar(len(jobs))
    with Pool(max(1, args.workers)) as pool:
        for number, line, path, reason in pool.imap_unordered(_check, jobs, chunksize=4):
            results[number] = (line, path, reason)
            bar.update()
    print()
    os.makedirs(out_dir, exist_ok=True)
    broken = [(n, *results[n]) for n in sorted(results) if results[n][2] is not None]
    clean = [results[n][0] for n in sorted(results) if results[n][2] is None]
    # both files whole or neither: written to temporary files, renamed when both are
    # complete (a full disk must not leave a partial clean list to train on)
    reports = {broken_path: ''.join(f'{n}\t{path}\t{reason}\n' for n, _, path, reason in broken),
               clean_path: ''.join(line + '\n' for line in clean)}
    parts = {}
    try:
        for path, text in reports.items():
            parts[path] = f'{path}.{os.getpid()}.part'
            with open(parts[path], 'w') as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        for path, part in parts.items():
            os.replace(part, path)
    finally:
        for part in parts.values():
            if osp.exists(part):
                os.remove(part)
    print(f'{len(broken)} of {len(jobs)} videos cannot be decoded; report: {broken_path}; '
          f'clean list ({len(jobs) - len(broken)} entries): {clean_path}')
    for number, _, path, reason in broken[:10]:
        print(f'  line {number}: {path}: {reason}')
    return dict(broken=broken, broken_file=broken_path, clean_file=clean_path)


if __name__ == '__main__':
    main()
