# VTD-CLIP, base-to-novel Kinetics-400, seed 1: trained on 16 videos of each of
# the 200 base classes (ViFi-CLIP's base2novel_splits/k400_splits/fs_base_s1_train.txt),
# tested on the base (200) and the novel (200) classes. Seeds 2 and 3 differ
# only in the training list. 80 epochs, lr 4e-3.
_base_ = ['../_base_/vtd_base2novel_32f.py']

seed = 1
lists = 'data/splits/base2novel_splits/k400_splits'
base_labels = dict(classes='kinetics_400_base_labels.csv')
videos = dict(video='data/kinetics400/videos_train')
val_videos = dict(video='data/kinetics400/videos_val')

model = dict(cls_head=dict(class_names=base_labels['classes']))
train_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/fs_base_s{seed}_train.txt', data_prefix=videos, metainfo=base_labels))
val_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/base_val.txt', data_prefix=val_videos, metainfo=base_labels))
test_dataloader = val_dataloader
test_sets = dict(novel=dict(dataset=dict(
    ann_file=f'{lists}/novel_val.txt', metainfo=dict(classes='kinetics_400_novel_labels.csv'))))
optim_wrapper = dict(optimizer=dict(lr=4e-3))
train_cfg = dict(max_epochs=80, val_interval=10)
