# VTD-CLIP, base-to-novel UCF-101, seed 2: the seed-1 config with the
# training list of seed 2.
_base_ = ['vtd_b2n_ucf101_s1.py']

seed = 2
train_dataloader = dict(dataset=dict(ann_file=f'{_base_.lists}/fs_base_s{seed}_train.txt'))
