# POCUS (lung, 3 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets POCUS
# Split groups: source file (all frames of a video together). Official split:
# none: seeded split by video (the repository's cross-validation splitter is
# not used).
_base_ = './us_cls.py'

num_classes = 3
dataset = dict(
    data_root='data/classification/pocus/',
    name='POCUS',
    metainfo=dict(
        classes=('covid', 'pneumonia', 'regular')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
