# Butterfly (multiple (cardiac, lung, abdomen, neck), 9 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets Butterfly
# Split groups: patient (the numbered folder). Official split: the test folder
# is test; validation carved by patient from training.
_base_ = './us_cls.py'

num_classes = 9
dataset = dict(
    data_root='data/classification/butterfly/',
    name='Butterfly',
    metainfo=dict(
        classes=(
            'carotid',
            '2ch',
            'lungs',
            'ivc',
            '4ch',
            'bladder',
            'thyroid',
            'plax',
            'morisons_pouch',
        )))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
