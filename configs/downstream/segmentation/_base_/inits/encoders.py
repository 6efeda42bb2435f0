# Encoder initialisations: the backbone.* weights of a checkpoint, loaded into
# the ViT-SAM-B encoder (ImageNet: the ResNet-50). Make them with
#   ultrasam: python tools/model_converters/ultrasam_release_to_ultrasam.py \
#       UltraSam.pth checkpoints/ultrasam_release.pth  (or your US-43d run)
#   sam: python tools/model_converters/sam_to_ultrasam.py \
#       sam_vit_b_01ec64.pth checkpoints/sam_vit_b_01ec64_ultrasam.pth
#   medsam: python tools/model_converters/sam_to_ultrasam.py \
#       medsam_vit_b.pth checkpoints/medsam_vit_b_ultrasam.pth
#   mae: python tools/model_converters/convert_mae.py MAE_CKPT \
#       checkpoints/mae_vit-b16_vitsam.pth --to vit-sam
#   imagenet_resnet50: MMPretrain's resnet50_8xb32_in1k_20210831-ea4938fc.pth
#       (a torchvision file has no prefix: set prefix=None)
# (the same files as the classification configs). Nothing is downloaded.
pretrained = dict(type='Pretrained', prefix='backbone.')
encoder_inits = {
    'ultrasam': dict(pretrained,
                     checkpoint='checkpoints/ultrasam_release.pth'),
    'sam': dict(pretrained,
                checkpoint='checkpoints/sam_vit_b_01ec64_ultrasam.pth'),
    'medsam': dict(pretrained,
                   checkpoint='checkpoints/medsam_vit_b_ultrasam.pth'),
    'mae': dict(pretrained, checkpoint='checkpoints/mae_vit-b16_vitsam.pth'),
    'imagenet_resnet50': dict(
        pretrained,
        checkpoint='checkpoints/resnet50_8xb32_in1k_20210831-ea4938fc.pth'),
}
