# Synthetic B-mode phantoms as a 3-class task (CPU proof): the class of an
# image is the echogenicity of its largest lesion (hypoechoic, anechoic,
# hyperechoic). PhantomClsDataset writes the seeded set into data_root on first
# use (the same files as `python tools/dataset_converters/make_phantom.py
# --out data/phantom_cls --num-train 500 --num-test 250 --seed 1`), reuses it
# after and never overwrites another set. Seed 1 keeps these images apart
# from the seed-0 set the `make demo` UltraSam was trained on. The last 100
# training images validate (best checkpoint); the test images are scored once
# at the end.
_base_ = './us_cls.py'

phantom = dict(
    type='PhantomClsDataset',
    data_root='data/phantom_cls/',
    generator=dict(num_train=500, num_test=250, seed=1, image_size=256),
    val_images=100)

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        _delete_=True, split='train', pipeline=_base_.train_pipeline,
        **phantom))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        _delete_=True, split='val', pipeline=_base_.test_pipeline, **phantom))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(
        _delete_=True, split='test', pipeline=_base_.test_pipeline,
        **phantom))
