# VTD-CLIP, fully supervised UCF-101 (split 1). The recipe of the
# Kinetics-400 config applied to UCF-101.
_base_ = ['vtd_k400_8x16.py']

data_root = 'data/ucf101'
split = 1

# the shipped label file: ids of the official classInd.txt minus one, as
# MMAction2's ucf101 list scripts number them (for lists numbered otherwise,
# build the label file with tools/data/build_label_file.py)
model = dict(cls_head=dict(class_names='ucf_101_labels.csv'))
train_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/ucf101_train_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
val_dataloader = dict(dataset=dict(
    ann_file=f'{data_root}/ucf101_val_split_{split}_videos.txt',
    data_prefix=dict(video=f'{data_root}/videos')))
test_dataloader = val_dataloader
