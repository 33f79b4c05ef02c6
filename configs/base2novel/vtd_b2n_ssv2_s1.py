# VTD-CLIP, base-to-novel Something-Something V2, seed 1: trained on 16 videos of each of
# the 87 base classes (ViFi-CLIP's base2novel_splits/ssv2_splits/fs_base_s1_train.txt),
# tested on the base (87) and the novel (87) classes. Seeds 2 and 3 differ
# only in the training list. 50 epochs, lr 2e-3.
_base_ = ['../_base_/vtd_base2novel_32f.py']

seed = 1
lists = 'data/splits/base2novel_splits/ssv2_splits'
base_labels = dict(classes='ssv2_174_base_labels.csv')
videos = dict(video='data/sthv2/videos')

# SSv2: prompts at depth 12 (vision and text), effective batch 8 (8 GPUs x 1)
depth = 12
effective_batch_size = 8
auto_scale_lr = dict(base_batch_size=effective_batch_size)

model = dict(
    backbone=dict(depth=depth),
    cls_head=dict(class_names=base_labels['classes'],
                  text_encoder=dict(prompt_learner=dict(depth=depth))))
train_dataloader = dict(batch_size=1, dataset=dict(
    ann_file=f'{lists}/fs_base_s{seed}_train.txt', data_prefix=videos, metainfo=base_labels))
val_dataloader = dict(dataset=dict(
    ann_file=f'{lists}/base_val.txt', data_prefix=videos, metainfo=base_labels))
test_dataloader = val_dataloader
test_sets = dict(novel=dict(dataset=dict(
    ann_file=f'{lists}/novel_val.txt', metainfo=dict(classes='ssv2_174_novel_labels.csv'))))
optim_wrapper = dict(optimizer=dict(lr=2e-3))
train_cfg = dict(max_epochs=50, val_interval=10)
