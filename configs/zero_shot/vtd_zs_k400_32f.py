# VTD-CLIP, zero-shot protocol: train on Kinetics-400 (all 400 classes, 32
# frames), then test the same checkpoint on label sets it never saw:
# HMDB-51 and UCF-101 (3 test splits each, all classes) and the 3 Kinetics-600
# splits of 160 classes absent from Kinetics-400; top-1 mean +- std per dataset:
#   python tools/test_protocol.py configs/zero_shot/vtd_zs_k400_32f.py CKPT
# Training recipe: the fully supervised K400 one (prompts 16/16 at depth 12/12,
# effective batch 128, lr 4e-3), at 32 frames and for 10 epochs (2 warm-up,
# cosine to 5%), the zero-shot training length of ViFi-CLIP and TC-CLIP (the
# VTD-CLIP settings do not list a zero-shot row).
_base_ = ['../_base_/vtd_protocol_32f.py']

k400_labels = dict(classes='kinetics_400_labels.csv')
max_epochs = 10

train_dataloader = dict(dataset=dict(metainfo=k400_labels))
val_dataloader = dict(dataset=dict(metainfo=k400_labels))
test_dataloader = dict(dataset=dict(metainfo=k400_labels))

train_cfg = dict(max_epochs=max_epochs, val_interval=2)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 2, eta_min_ratio=0.05, by_epoch=True,
         begin=2, end=max_epochs, convert_to_iter_based=True),
]

test_sets = [
    dict(name=f'{ds}_split{s}', group=ds,
         dataset=dict(ann_file=f'data/splits/{lists}/val{s}.txt',
                      data_prefix=dict(video=f'data/{ds}/videos'),
                      metainfo=dict(classes=labels)))
    for ds, lists, labels in (('hmdb51', 'hmdb_splits', 'hmdb_51_labels.csv'),
                              ('ucf101', 'ucf_splits', 'ucf_101_labels.csv'))
    for s in (1, 2, 3)
] + [
    dict(name=f'k600_split{s}', group='k600',
         dataset=dict(ann_file=f'data/splits/k600_splits/ZS_split{s}_K600_eval.txt',
                      data_prefix=dict(video='data/kinetics600/videos'),
                      metainfo=dict(classes=f'kinetics_600_zs_split{s}_labels.csv')))
    for s in (1, 2, 3)
]
