# VTD-CLIP, base-to-novel Kinetics-400, seed 2: the seed-1 config with the
# training list of seed 2.
_base_ = ['vtd_b2n_k400_s1.py']

seed = 2  # the training list below is seed 2's

train_dataloader = dict(dataset=dict(
    ann_file='data/splits/base2novel_splits/k400_splits/fs_base_s2_train.txt'))
