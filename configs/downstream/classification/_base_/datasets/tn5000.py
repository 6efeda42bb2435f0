# TN5000 (thyroid, 2 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets TN5000
# Split groups: image (no patient ids found). Official split: ImageSets/Main
# train / val / test lists.
_base_ = './us_cls.py'

num_classes = 2
dataset = dict(
    data_root='data/classification/tn5000/',
    name='TN5000',
    metainfo=dict(
        classes=('benign', 'malignant')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
