# GIST514-DB (gastro-intestinal, 2 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets GIST514-DB
# Split groups: image (no patient ids found). Official split: split 0: train
# json is train, val json is test (as UltraSam); validation carved from train
# by image.
_base_ = './us_cls.py'

num_classes = 2
dataset = dict(
    data_root='data/classification/gist514db/',
    name='GIST514-DB',
    metainfo=dict(
        classes=('leiomyoma', 'gist')))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
