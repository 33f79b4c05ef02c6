# Video datasets read MMAction2's "path label" annotation lists (the format of
# ViFi-CLIP's public split files too). Paths below are Kinetics-400's; dataset
# configs override ann_file / data_prefix.
_base_ = ['video_clip_pipelines.py']

dataset_type = 'CheckedVideoDataset'  # names (or skips, skip_broken=True) broken videos
loader = dict(num_workers=8, persistent_workers=True)


def _loader(split, pipeline, batch_size, shuffle=False):
    """A loader of Kinetics-400's ``split`` list ('train' or 'val')."""
    return dict(
        batch_size=batch_size,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dict(
            type=dataset_type,
            ann_file=f'data/kinetics400/kinetics400_{split}_list_videos.txt',
            data_prefix=dict(video=f'data/kinetics400/videos_{split}'),
            pipeline=pipeline,
            test_mode=not shuffle),
        **loader)


train_dataloader = _loader('train', _base_.train_pipeline, 16, shuffle=True)
val_dataloader = _loader('val', _base_.val_pipeline, 16)
test_dataloader = _loader('val', _base_.test_pipeline, 1)
del _loader

val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator
