"""Distillation in the embedded demo world: student alone vs. KD vs. DIST vs. CKD.

    python tools/demo/run_distill_demo.py [--seeds 0 1 2] [--data data/demo_world]

Teacher: the tiny VTD-CLIP of configs/demo/vtd_demo_full.py (24 classes),
trained once with twice the epochs. Student: a TSN ResNet-18 trained from
scratch on the same clips (ImageNet-style normalisation, its own
preprocessor), with each loss on the same schedule and seeds; then a student
that sees 4 of the teacher's 8 frames, alone and with CKD. Everything runs
through MMAction2's Runner (output in WORK_DIR/<run>/console.log); students
are tested on the clean test clips. Prints one line per run and the table
(also in WORK_DIR/distill_results.md).
"""
import argparse
import copy
import os
import os.path as osp
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

STUDENT = dict(
    type='Recognizer2D',
    backbone=dict(type='ResNet', depth=18, pretrained=None, norm_eval=False),
    cls_head=dict(type='TSNHead', num_classes=24, in_channels=512, spatial_type='avg',
                  consensus=dict(type='AvgConsensus', dim=1), dropout_ratio=0.3,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCHW'))
CKD = dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0))
# name: (distillation losses, frames the student sees of the teacher's 8)
METHODS = {
    'student alone': (None, 8),
    'KD (tau 4, weight 1)': (dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)), 8),
    'DIST (tau 1, weight 1)': (dict(dist=dict(type='DISTLoss', tau=1.0, loss_weight=1.0)), 8),
    'CKD (tau 1, weight 10)': (CKD, 8),
    'student alone, 4 frames': (None, 4),
    'CKD (tau 1, weight 10), student 4 frames': (CKD, 4),
}


def student_config(base, teacher, teacher_ckpt, losses, frames):
    """The student's run: alone (its own pipelines at ``frames``), or a
    RecognizerDistiller whose student sees ``frames`` of the teacher's clips."""
    cfg = copy.deepcopy(base)
    clip_len = teacher.model.cls_head.num_frames
    if losses is None:
        cfg.model = copy.deepcopy(STUDENT)
        for split in ('train', 'val', 'test'):
            for step in cfg[f'{split}_dataloader'].dataset.pipeline:
                if step['type'] == 'UniformSample':
                    step['clip_len'] = frames
        return cfg
    cfg.model = dict(type='RecognizerDistiller', student=copy.deepcopy(STUDENT),
                     teacher=copy.deepcopy(teacher.model), teacher_checkpoint=teacher_ckpt,
                     distill_losses=losses)
    if frames != clip_len:
        cfg.model['student_input'] = dict(clip_len=clip_len, num_frames=frames)
    return cfg


def main(argv=None):
    from vtd_mm.demo.runs import epochs_arg
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='data/demo_world')
    p.add_argument('--work-dir', default='work_dirs/distill_demo')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--epochs', type=int, default=10, help='student epochs')
    p.add_argument('--teacher-epochs', type=epochs_arg, default=16)
    p.add_argument('--methods', nargs='+', default=None, help=f'subset of {list(METHODS)}')
    p.add_argument('--videos-per-class', type=int, nargs=3, metavar=('TRAIN', 'VAL', 'TEST'),
                   default=None, help='a smaller world (default 10 3 8)')
    args = p.parse_args(argv)
    os.chdir(ROOT)
    from mmengine.config import Config

    from vtd_mm.demo.runs import (
        console_to,
        percent_mean_std,
        prepare_world,
        slug,
        train_and_test,
        with_epochs,
    )
    methods = args.methods or list(METHODS)
    for name in methods:
        if name not in METHODS:
            raise SystemExit(f'unknown method {name!r}; choose from {list(METHODS)}')
    start = time.time()
    prepare_world(args.data, args.videos_per_class)
    print(f'world: {args.data}; Runner output of each run: {args.work_dir}/<run>/console.log',
          flush=True)
    with console_to(osp.join(args.work_dir, 'console.log')):
        teacher = Config.fromfile('configs/demo/vtd_demo_full.py')
    epochs = args.teacher_epochs
    teacher = with_epochs(teacher, epochs)
    teacher.pop('test_sets')  # the clean test clips only
    t0 = time.time()
    metrics, teacher_ckpt = train_and_test(teacher, osp.join(args.work_dir, 'teacher'), seed=0)
    teacher_acc = metrics['acc/top1']
    print(f'[{time.time() - start:4.0f} s] teacher | VTD-CLIP, {epochs} epochs | seed 0 | '
          f'{time.time() - t0:3.0f} s | top-1 {100 * teacher_acc:.1f}', flush=True)

    base = copy.deepcopy(teacher)
    base.optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
    base.train_cfg.update(max_epochs=args.epochs, val_interval=args.epochs)
    base.param_scheduler = [dict(type='CosineAnnealingLR', T_max=args.epochs, eta_min_ratio=0.01,
                                 by_epoch=True, begin=0, end=args.epochs,
                                 convert_to_iter_based=True)]
    base.default_hooks.checkpoint.interval = args.epochs
    results = {}
    for method in methods:
        losses, frames = METHODS[method]
        cfg = student_config(base, teacher, teacher_ckpt, losses, frames)
        for seed in args.seeds:
            t0 = time.time()
            metrics, _ = train_and_test(cfg, osp.join(args.work_dir, f'{slug(method)}_seed{seed}'),
                                        seed)
            results.setdefault(method, []).append(metrics['acc/top1'])
            print(f'[{time.time() - start:4.0f} s] student | {method} | seed {seed} | '
                  f'{time.time() - t0:3.0f} s | top-1 {100 * results[method][-1]:.1f}', flush=True)
    seeds = ', '.join(map(str, args.seeds))
    lines = [f'Distillation in the demo world (24 classes, clean test clips; top-1 %, '
             f'mean ± std over seeds {seeds})', '',
             f'Teacher: tiny VTD-CLIP (configs/demo/vtd_demo_full.py, {epochs} epochs, seed 0), '
             f'8 frames: {100 * teacher_acc:.1f}',
             f'Student: TSN ResNet-18 from scratch, {args.epochs} epochs, AdamW 1e-3, batch 16', '',
             '| student training | frames | top-1 |', '|---|---|---|']
    for method, accs in results.items():
        lines.append(f"| {method.split(', student')[0]} | {METHODS[method][1]} | "
                     f"{percent_mean_std(accs)} |")
    lines.append(f'\nTotal time: {(time.time() - start) / 60:.1f} min on {os.cpu_count()} CPU '
                 'cores. Chance: 4.2%.')
    table = '\n'.join(lines) + '\n'
    print('\n' + table)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'distill_results.md'), 'w') as f:
        f.write(table)
    print(f'table: {osp.join(args.work_dir, "distill_results.md")}')
    return results, teacher_acc


if __name__ == '__main__':
    main()
