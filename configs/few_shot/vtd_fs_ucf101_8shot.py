# VTD-CLIP, few-shot UCF-101: 8 training videos per class.
_base_ = ['vtd_fs_ucf101_16shot.py']

shots = 8

train_dataloader = dict(dataset=dict(ann_file=f'{_base_.lists}/train1_few_shot_{shots}.txt'))
