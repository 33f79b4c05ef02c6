# VTD-CLIP, few-shot Something-Something V2: 2 training videos per class.
_base_ = ['vtd_fs_ssv2_16shot.py']

shots = 2  # the training list below has 2 videos per class

train_dataloader = dict(dataset=dict(ann_file='data/splits/ssv2_splits/train1_few_shot_2.txt'))
