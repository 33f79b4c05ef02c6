# VTD-CLIP, base-to-novel Something-Something V2, seed 3: the seed-1 config with the
# training list of seed 3.
_base_ = ['vtd_b2n_ssv2_s1.py']

seed = 3  # the training list below is seed 3's

train_dataloader = dict(dataset=dict(
    ann_file='data/splits/base2novel_splits/ssv2_splits/fs_base_s3_train.txt'))
