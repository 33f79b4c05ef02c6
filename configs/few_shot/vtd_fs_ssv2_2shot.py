# VTD-CLIP, few-shot Something-Something V2: 2 training videos per class.
_base_ = ['vtd_fs_ssv2_16shot.py']

shots = 2

train_dataloader = dict(dataset=dict(ann_file=f'{_base_.lists}/train1_few_shot_{shots}.txt'))
