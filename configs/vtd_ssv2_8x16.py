# VTD-CLIP, fully supervised Something-Something V2 (174 classes, the label
# file ships with vtd_mm). The recipe of the Kinetics-400 config applied to
# SSv2. Note: the recipe's horizontal flip swaps SSv2's left/right classes;
# set flip_ratio=0 in the train pipeline to avoid it.
_base_ = ['vtd_k400_8x16.py']

data_root = 'data/sthv2'
model = dict(cls_head=dict(class_names='ssv2_labels.csv'))
train_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/sthv2_train_list_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/sthv2_val_list_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = val_dataloader
