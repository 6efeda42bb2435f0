# Fatty-liver (liver, 2 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets Fatty-liver
# Split groups: patient (its 10 consecutive frames). Official split: none:
# seeded split by patient.
_base_ = './us_cls.py'

num_classes = 2
dataset = dict(
    data_root='data/classification/fatty_liver/',
    name='Fatty-liver',
    metainfo=dict(
        classes=('normal', 'steatosis')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
