# VTD-CLIP in the embedded demo world, fully supervised: all 24 classes.
_base_ = ['vtd_demo_b2n.py']

data_root = '{{$VTD_DEMO_DATA:data/demo_world}}'
labels = dict(classes='demo_world_all.txt')
model = dict(cls_head=dict(class_names=labels['classes']))
train_dataloader = dict(dataset=dict(ann_file=f'{data_root}/train_all.txt', metainfo=labels))
val_dataloader = dict(dataset=dict(ann_file=f'{data_root}/val_all.txt', metainfo=labels))
test_dataloader = dict(dataset=dict(ann_file=f'{data_root}/test_all.txt', metainfo=labels))
test_sets = [
    dict(name=f'all{suffix}', group=f'all{suffix}',
         dataset=dict(ann_file=f'{data_root}/test_all{suffix}.txt'))
    for suffix in _base_.conditions
]
