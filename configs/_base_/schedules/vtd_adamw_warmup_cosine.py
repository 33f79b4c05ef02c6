# AdamW, 5 linear warm-up epochs, cosine decay to 5% over 25 epochs, then
# halving every 5 epochs; stepped per iteration. Only prompts, fusion and
# logit_scale train (CLIP weights are frozen and get no gradient).
max_epochs = 80
base_lr = 4e-3
effective_batch_size = 128  # GPUs x clips per GPU x accumulation; see tools/train.py

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=1e-3),
    paramwise_cfg=dict(custom_keys=dict(logit_scale=dict(decay_mult=0.0))),
    clip_grad=None)

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=25, eta_min_ratio=0.05, by_epoch=True,
         begin=5, end=30, convert_to_iter_based=True),
    # end past any max_epochs: configs change max_epochs only (also below 30)
    dict(type='StepLR', step_size=5, gamma=0.5, by_epoch=True, begin=30, end=1000,
         convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

auto_scale_lr = dict(enable=False, base_batch_size=effective_batch_size)
