# VTD-CLIP, few-shot HMDB-51: 4 training videos per class.
_base_ = ['vtd_fs_hmdb51_16shot.py']

shots = 4  # the training list below has 4 videos per class

train_dataloader = dict(dataset=dict(ann_file='data/splits/hmdb_splits/train1_few_shot_4.txt'))
