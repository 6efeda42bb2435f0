# BUSI (breast, 3 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets BUSI
# Split groups: image (no patient ids; identical images are kept in one split).
# Official split: none: seeded split.
_base_ = './us_cls.py'

num_classes = 3
dataset = dict(
    data_root='data/classification/busi/',
    name='BUSI',
    metainfo=dict(
        classes=('normal', 'benign', 'malignant')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
