# Few-shot protocol settings of VTD-CLIP: 32 frames, prompts of 10 tokens at
# depth 12 (vision and text), effective batch 8 (8 GPUs x 1 clip), AdamW.
# The authors give 50-100 epochs and lr 8e-4 .. 8e-3 without a value per K; we
# use 50 epochs and 8e-3 for every K, ViFi-CLIP's few-shot prompting setting
# (inside that range). To tune, set train_cfg.max_epochs / optim_wrapper.optimizer.lr
# (max_epochs / base_lr are read here, when this file is parsed).
_base_ = ['vtd_protocol_32f.py']

n_ctx, depth = 10, 12
max_epochs = 50
base_lr = 8e-3
effective_batch_size = 8

model = dict(
    backbone=dict(n_ctx=n_ctx, depth=depth),
    cls_head=dict(text_encoder=dict(prompt_learner=dict(n_ctx=n_ctx, depth=depth))))
train_dataloader = dict(batch_size=1)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
auto_scale_lr = dict(base_batch_size=effective_batch_size)
