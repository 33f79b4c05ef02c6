# VTD-CLIP, few-shot Something-Something V2: 16 training videos per class (ViFi-CLIP's
# ssv2_splits/train1_few_shot_16.txt), tested on validation.txt, all 174 classes.
# The 2 / 4 / 8-shot configs differ only in the training list.
_base_ = ['../_base_/vtd_few_shot_32f.py']

shots = 16
lists = 'data/splits/ssv2_splits'
labels = dict(classes='ssv2_labels.csv')
videos = dict(video='data/sthv2/videos')

model = dict(cls_head=dict(class_names=labels['classes']))
train_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/train1_few_shot_{shots}.txt', data_prefix=videos, metainfo=labels))
val_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/validation.txt', data_prefix=videos, metainfo=labels))
test_dataloader = val_dataloader
