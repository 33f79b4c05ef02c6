"""Distillation in the embedded demo world: student alone vs. KD vs. CKD.

    python tools/demo/run_distill_demo.py [--seeds 0 1 2] [--data data/demo_world]

Teacher: the tiny VTD-CLIP of configs/demo/vtd_demo_full.py (24 classes),
trained once. Student: a TSN ResNet-18 trained from scratch on the same clips
(ImageNet-style normalisation, its own preprocessor). Everything runs through
MMAction2's Runner; the students are tested on the clean test clips.
"""
import argparse
import copy
import os
import os.path as osp
import statistics
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
METHODS = {
    'student alone': None,
    'KD (tau 4)': dict(kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0)),
    'CKD (tau 1, weight 10)': dict(ckd=dict(type='CKDLoss', tau=1.0, loss_weight=10.0)),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='data/demo_world')
    p.add_argument('--work-dir', default='work_dirs/distill_demo')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--epochs', type=int, default=15, help='student epochs')
    args = p.parse_args(argv)
    os.chdir(ROOT)
    from mmengine.config import Config

    from vtd_mm.demo.runs import evaluate, prepare_world, train
    start = time.time()
    prepare_world(args.data)
    full = Config.fromfile('configs/demo/vtd_demo_full.py')
    teacher_ckpt = train(full, osp.join(args.work_dir, 'teacher'), seed=0)
    teacher_acc = evaluate(full, osp.join(args.work_dir, 'teacher'), teacher_ckpt)['acc/top1']

    base = copy.deepcopy(full)
    base.optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4))
    base.train_cfg.update(max_epochs=args.epochs, val_interval=args.epochs)
    base.param_scheduler = [dict(type='CosineAnnealingLR', T_max=args.epochs, eta_min_ratio=0.01,
                                 by_epoch=True, begin=0, end=args.epochs,
                                 convert_to_iter_based=True)]
    base.default_hooks.checkpoint.interval = args.epochs
    results = {}
    for method, losses in METHODS.items():
        cfg = copy.deepcopy(base)
        cfg.model = copy.deepcopy(STUDENT) if losses is None else dict(
            type='RecognizerDistiller', student=copy.deepcopy(STUDENT),
            teacher=copy.deepcopy(full.model), teacher_checkpoint=teacher_ckpt,
            distill_losses=losses)
        for seed in args.seeds:
            wd = osp.join(args.work_dir, f'{method.split()[0].lower()}_seed{seed}')
            ckpt = train(cfg, wd, seed)
            results.setdefault(method, []).append(evaluate(cfg, wd, ckpt)['acc/top1'])
            print(f'[{time.time() - start:5.0f} s] {method}, seed {seed}: '
                  f'{100 * results[method][-1]:.1f}', flush=True)
    seeds = ', '.join(map(str, args.seeds))
    lines = [f'Distillation in the demo world (24 classes, clean test clips; top-1 %, '
             f'mean ± std over seeds {seeds})', '',
             f'Teacher: tiny VTD-CLIP (configs/demo/vtd_demo_full.py, seed 0): {100 * teacher_acc:.1f}',
             f'Student: TSN ResNet-18 from scratch, {args.epochs} epochs, AdamW 1e-3', '',
             '| student training | top-1 |', '|---|---|']
    for method, accs in results.items():
        spread = f' ± {100 * statistics.stdev(accs):.1f}' if len(accs) > 1 else ''
        lines.append(f'| {method} | {100 * statistics.mean(accs):.1f}{spread} |')
    lines.append(f'\nTotal time: {(time.time() - start) / 60:.1f} min. Chance: 4.2%.')
    table = '\n'.join(lines) + '\n'
    print('\n' + table)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'distill_results.md'), 'w') as f:
        f.write(table)
    return results, teacher_acc


if __name__ == '__main__':
    main()
