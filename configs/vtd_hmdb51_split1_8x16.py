# VTD-CLIP, fully supervised HMDB-51 (split 1; use split 2 / 3 by editing the
# lists). The recipe of the Kinetics-400 config applied to HMDB-51.
_base_ = ['vtd_k400_8x16.py']

data_root = 'data/hmdb51'
split = 1

# the shipped label file: ids in the order of the sorted class folders, as
# MMAction2's hmdb51 list scripts number them (for lists numbered otherwise,
# build the label file with tools/data/build_label_file.py)
model = dict(cls_head=dict(class_names='hmdb_51_labels.csv'))
train_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/hmdb51_train_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/hmdb51_val_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = val_dataloader
