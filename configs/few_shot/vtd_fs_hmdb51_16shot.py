# VTD-CLIP, few-shot HMDB-51: 16 training videos per class (ViFi-CLIP's
# hmdb_splits/train1_few_shot_16.txt), tested on val1.txt, all 51 classes.
# The 2 / 4 / 8-shot configs differ only in the training list.
_base_ = ['../_base_/vtd_few_shot_32f.py']

shots = 16
lists = 'data/splits/hmdb_splits'
labels = dict(classes='hmdb_51_labels.csv')
videos = dict(video='data/hmdb51/videos')

model = dict(cls_head=dict(class_names=labels['classes']))
train_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/train1_few_shot_{shots}.txt', data_prefix=videos, metainfo=labels))
val_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/val1.txt', data_prefix=videos, metainfo=labels))
test_dataloader = val_dataloader
