# AUL (liver, 3 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets AUL
# Split groups: image (one patient per image, UltraBench wiki). Official split:
# none: seeded split (UltraBench uses a stratified 7:1:2).
_base_ = './us_cls.py'

num_classes = 3
dataset = dict(
    data_root='data/classification/aul/',
    name='AUL',
    metainfo=dict(
        classes=('normal', 'benign', 'malignant')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
