# GIST514-DB (gastro-intestinal tumours: leiomyoma (lmym) / GIST): split 0
# val is test.
_base_ = './us_coco_seg.py'

split_dir = 'annotations/per_dataset/GIST514-DB/'
classes = ('lmym', 'GIST')
num_classes = len(classes)
dataset = dict(metainfo=dict(classes=classes))
train_dataloader = dict(
    dataset=dict(ann_file=split_dir + 'train.json', **dataset))
val_dataloader = dict(
    dataset=dict(ann_file=split_dir + 'val.json', **dataset))
test_dataloader = dict(
    dataset=dict(ann_file=split_dir + 'test.json', **dataset))
# The class count in each head (a leaf adds **mask2former_classes or
# **mask_rcnn_classes to its model); Mask2Former weighs no-object 0.1.
mask2former_classes = dict(
    panoptic_head=dict(
        num_things_classes=num_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(num_things_classes=num_classes))
mask_rcnn_classes = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes)))
