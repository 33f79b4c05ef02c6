# VTD-CLIP, fully supervised HMDB-51 (split 1; use split 2 / 3 by editing the
# lists). The recipe of the Kinetics-400 config applied to HMDB-51.
_base_ = ['vtd_k400_8x16.py']

data_root = 'data/hmdb51'
split = 1
label_file = f'{data_root}/hmdb51_labels.csv'  # id,name; see docs/datasets.md

model = dict(cls_head=dict(num_classes=51, class_names=label_file))
train_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/hmdb51_train_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/hmdb51_val_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = val_dataloader
