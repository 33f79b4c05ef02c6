# VTD-CLIP, few-shot HMDB-51: 2 training videos per class.
_base_ = ['vtd_fs_hmdb51_16shot.py']

shots = 2  # the training list below has 2 videos per class

train_dataloader = dict(dataset=dict(ann_file='data/splits/hmdb_splits/train1_few_shot_2.txt'))
