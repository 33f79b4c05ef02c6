# MMAction2's runtime, plus what vtd_mm models need:
# - LabelSetHook gives the model the label set of each dataset
#   (metainfo=dict(classes=...));
# - SmallCheckpointHook leaves the frozen CLIP weights out of checkpoints
#   (save_clip_weights=True writes full ones; tools/publish_checkpoint.py too);
# - SkippedVideosHook names the videos a dataset with skip_broken=True skipped;
# - FrameTokenVisualizationHook draws test videos with each frame's class name
#   (tools/test.py --show-dir / --show);
# - NonFiniteHook stops a run at the first NaN / Inf loss or score;
# - EpochSeedHook draws each training sample's augmentation from
#   (seed, epoch, index) and dropout from (seed, iteration): the same with
#   any workers, and resuming is exact;
# - checkpoints are written through a temporary file, and an old one is
#   removed only once the new one is complete (AtomicLocalBackend; for a
#   remote out_dir, name that storage's backend instead).
_base_ = ['mmaction::_base_/default_runtime.py']

custom_imports = dict(imports=['vtd_mm'], allow_failed_imports=False)

default_hooks = dict(
    checkpoint=dict(max_keep_ckpts=3, backend_args=dict(backend='atomic_local')),
    visualization=dict(type='FrameTokenVisualizationHook', enable=False))
custom_hooks = [dict(type='LabelSetHook'), dict(type='SmallCheckpointHook'),
                dict(type='SkippedVideosHook'), dict(type='NonFiniteHook'),
                dict(type='EpochSeedHook')]
randomness = dict(seed=1024, deterministic=False)
