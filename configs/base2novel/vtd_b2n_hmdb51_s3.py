# VTD-CLIP, base-to-novel HMDB-51, seed 3: the seed-1 config with the
# training list of seed 3.
_base_ = ['vtd_b2n_hmdb51_s1.py']

seed = 3  # the training list below is seed 3's

train_dataloader = dict(dataset=dict(
    ann_file='data/splits/base2novel_splits/hmdb_splits/fs_base_s3_train.txt'))
