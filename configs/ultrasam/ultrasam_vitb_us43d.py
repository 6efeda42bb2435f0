# UltraSam pretraining recipe (paper): SAM ViT-B initialisation, US-43d class-agnostic
# COCO, one point or one box per instance (p=0.5), random flip, longest side 1024,
# AdamW 1e-4 / wd 1e-4 / clip 0.1, 30k iterations, 8 images per GPU on 4 GPUs:
#   tools/dist_train.sh configs/ultrasam/ultrasam_vitb_us43d.py 4
# Validation uses the US-43d *val* split; the best checkpoint is kept by Dice.
_base_ = [
    '../_base_/models/ultrasam_vitb.py',
    '../_base_/datasets/us_coco_prompt.py',
    '../_base_/schedules/adamw_30k.py',
    '../_base_/default_runtime.py',
]

# segment-anything's sam_vit_b_01ec64.pth converted with
# tools/model_converters/sam_to_ultrasam.py.
load_from = 'checkpoints/sam_vit_b_01ec64_ultrasam.pth'

data_root = 'data/us43d/'
train_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root, ann_file='annotations/train.json'))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/val.json'))
test_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/test.json'))

default_hooks = dict(
    checkpoint=dict(save_best='prompt_seg/dice', rule='greater'))
