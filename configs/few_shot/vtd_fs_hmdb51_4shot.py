# VTD-CLIP, few-shot HMDB-51: 4 training videos per class.
_base_ = ['vtd_fs_hmdb51_16shot.py']

shots = 4

train_dataloader = dict(dataset=dict(ann_file=f'{_base_.lists}/train1_few_shot_{shots}.txt'))
