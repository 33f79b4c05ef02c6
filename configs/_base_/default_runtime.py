custom_imports = dict(imports=['vtd_mm'], allow_failed_imports=False)
default_scope = 'mmaction'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'))

# The model takes the label set of each dataset (metainfo=dict(classes=...));
# checkpoints leave out the frozen CLIP weights (SmallCheckpointHook(
# save_clip_weights=True) writes full ones; tools/publish_checkpoint.py too).
# SkippedVideosHook names the videos a dataset with skip_broken=True skipped.
custom_hooks = [dict(type='LabelSetHook'), dict(type='SmallCheckpointHook'),
                dict(type='SkippedVideosHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=1024, deterministic=False)
