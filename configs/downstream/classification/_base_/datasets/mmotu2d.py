# MMOTU-2D (ovary, 8 classes), built by
#   python tools/dataset_converters/build_classification.py --raw-root RAW \
#       --out data/classification --datasets MMOTU-2D
# Split groups: image (no patient ids are released). Official split:
# train_cls.txt is train, val_cls.txt is test (as UltraSam and UltraBench);
# validation carved from train by image.
_base_ = './us_cls.py'

num_classes = 8
dataset = dict(
    data_root='data/classification/mmotu2d/',
    name='MMOTU-2D',
    metainfo=dict(
        classes=(
            'chocolate_cyst',
            'serous_cystadenoma',
            'teratoma',
            'theca_cell_tumor',
            'simple_cyst',
            'normal_ovary',
            'mucinous_cystadenoma',
            'high_grade_serous',
        )))
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(dataset=dataset)
test_dataloader = dict(dataset=dataset)
