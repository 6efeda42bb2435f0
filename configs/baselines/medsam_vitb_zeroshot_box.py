# Baseline: MedSAM (box prompts only, as it was trained). MedSAM feeds [0, 1]-scaled
# images to the encoder instead of SAM's mean/std normalisation; mean 0 / std 255
# reproduces that for images spanning 0..255 (MedSAM additionally min-max stretches).
# Convert medsam_vit_b.pth with tools/model_converters/sam_to_ultrasam.py.
_base_ = '../ultrasam/zero_shot/ultrasam_vitb_zeroshot_box.py'

model = dict(
    data_preprocessor=dict(mean=[0., 0., 0.], std=[255., 255., 255.]))
# MedSAM resizes every image to a 1024 x 1024 square (no aspect ratio kept, no
# padding); predictions are resized back to the original image.
test_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadUltrasoundImage'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
        dict(type='KeepOriginalMasks'),
        dict(type='Resize', scale=(1024, 1024), keep_ratio=False),
        dict(type='BoxesFromMasks', jitter_ratio=0.),
        dict(type='PackPromptInputs'),
    ]))
load_from = 'checkpoints/medsam_vit_b_ultrasam.pth'
