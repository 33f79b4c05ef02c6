# Video datasets read MMAction2's "path label" annotation lists (the format of
# ViFi-CLIP's public split files too). Paths below are Kinetics-400's; dataset
# configs override ann_file / data_prefix.
_base_ = ['video_clip_pipelines.py']

dataset_type = 'CheckedVideoDataset'  # names (or skips, skip_broken=True) broken videos
data_root = 'data/kinetics400'

train_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/kinetics400_train_list_videos.txt',
        data_prefix=dict(video=f'{data_root}/videos_train'),
        pipeline=_base_.train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/kinetics400_val_list_videos.txt',
        data_prefix=dict(video=f'{data_root}/videos_val'),
        pipeline=_base_.val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1, num_workers=8, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=f'{data_root}/kinetics400_val_list_videos.txt',
        data_prefix=dict(video=f'{data_root}/videos_val'),
        pipeline=_base_.test_pipeline,
        test_mode=True))

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
