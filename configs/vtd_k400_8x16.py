# VTD-CLIP, fully supervised Kinetics-400: ViT-B/16, 16 frames, prompts 16/16
# tokens at depth 12/12, 8 GPUs x 16 clips = effective batch 128 (held on fewer
# GPUs by gradient accumulation, see tools/train.py), AdamW lr 4e-3, 80 epochs,
# test 4 clips x 3 crops with softmax scores averaged over the 12 views.
_base_ = [
    '_base_/models/vtd_clip_vit_b16.py', '_base_/datasets/video_list_dataset.py',
    '_base_/schedules/vtd_adamw_warmup_cosine.py', '_base_/default_runtime.py'
]

model = dict(cls_head=dict(num_frames=_base_.num_frames))  # the pipelines' clip_len
