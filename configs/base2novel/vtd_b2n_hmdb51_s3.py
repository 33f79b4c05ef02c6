# VTD-CLIP, base-to-novel HMDB-51, seed 3: the seed-1 config with the
# training list of seed 3.
_base_ = ['vtd_b2n_hmdb51_s1.py']

seed = 3
train_dataloader = dict(dataset=dict(ann_file=f'{_base_.lists}/fs_base_s{seed}_train.txt'))
