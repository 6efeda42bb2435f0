# BUS-BRA (breast, 2 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets BUS-BRA
# Split groups: patient (the number of bus_NNNN-S). Official split: 5-fold CV
# partition: fold 1 is test (as UltraSam), validation carved by patient from
# the other folds.
_base_ = './us_cls.py'

num_classes = 2
dataset = dict(
    data_root='data/classification/busbra/',
    name='BUS-BRA',
    metainfo=dict(
        classes=('benign', 'malignant')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
