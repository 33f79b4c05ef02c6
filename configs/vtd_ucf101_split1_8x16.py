# VTD-CLIP, fully supervised UCF-101 (split 1). The recipe of the
# Kinetics-400 config applied to UCF-101.
_base_ = ['vtd_k400_8x16.py']

data_root = 'data/ucf101'
split = 1
label_file = f'{data_root}/ucf101_labels.csv'  # id,name; see docs/datasets.md

model = dict(cls_head=dict(num_classes=101, class_names=label_file))
train_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/ucf101_train_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/ucf101_val_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = val_dataloader
