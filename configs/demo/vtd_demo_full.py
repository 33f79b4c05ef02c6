# VTD-CLIP in the embedded demo world, fully supervised: all 24 classes.
_base_ = ['vtd_demo_b2n.py']

model = dict(cls_head=dict(num_classes=24,
                           class_names='{{$VTD_DEMO_DATA:data/demo_world}}/classes_all.txt'))
train_dataloader = dict(dataset=dict(
    ann_file='{{$VTD_DEMO_DATA:data/demo_world}}/train_all.txt'))
val_dataloader = dict(dataset=dict(ann_file='{{$VTD_DEMO_DATA:data/demo_world}}/val_all.txt'))
test_dataloader = dict(dataset=dict(ann_file='{{$VTD_DEMO_DATA:data/demo_world}}/test_all.txt'))
