"""Fetal, obstetric and gynaecological ultrasound datasets of US-43d."""
from ..layouts import ImageMaskPairs, MaskRule, Table, VolumePairs
from ..masks import LabelMap, NonZero, NpyStructureDict, Threshold
from ..spec import DatasetSpec, register

register(DatasetSpec(
    name='ACOUSLIC',
    anatomy='fetus',
    url='https://acouslic-ai.grand-challenge.org/',
    licence='not stated',
    download='images/stacked_fetal_ultrasound/<uuid>.mha and '
    'masks/stacked_fetal_abdomen/<uuid>.mha',
    layout=VolumePairs(
        source=r'images/stacked_fetal_ultrasound/(?P<uuid>[^/]+)\.mha$',
        masks=[MaskRule(r'masks/stacked_fetal_abdomen/(?P<uuid>[^/]+)\.mha$',
                        LabelMap({1: 'abdomen', 2: 'abdomen'}))],
        key=('uuid', )),
    categories=('abdomen', ),
    unverified=('labels 1 (optimal plane) and 2 (sub-optimal plane) are '
                'both the fetal abdomen', ),
    changes=('split by case (all sweeps of one subject)', )))

register(DatasetSpec(
    name='FASS',
    anatomy='fetus',
    url='https://data.mendeley.com/datasets/4gcpm9dsc3/1',
    licence='CC BY 4.0 (unverified)',
    download='FASS.zip (nested zip with *.png images and ARRAY_FORMAT/*.npy '
    'masks)',
    layout=ImageMaskPairs(
        source=r'(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'ARRAY_FORMAT/(?:[^/]+/)*(?P<stem>[^/]+)\.npy$',
                        NpyStructureDict({'artery': 'artery',
                                          'liver': 'liver',
                                          'stomach': 'stomach',
                                          'vein': 'vein'}))],
        key=('stem', )),
    categories=('artery', 'liver', 'stomach', 'vein'),
    changes=('masks are unpickled with a loader that accepts NumPy arrays '
             'only', 'two PNGs with one stem are reported, not overwritten')))

register(DatasetSpec(
    name='Fast-U-Net',
    anatomy='fetus',
    url='https://github.com/vahidashkani/Fast-U-Net',
    licence='no licence file in the repository',
    download='the cloned repository with Dataset/AC/*.rar extracted (rar '
    'archives cannot be read here) and Dataset/AC/{train,val}.txt',
    layout=ImageMaskPairs(
        source=r'AC/(?:[^/]+/)*(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'AC/(?:[^/]+/)*[^/]*mask[^/]*/(?:[^/]+/)*'
                        r'(?P<stem>[^/]+)\.png$',
                        Threshold('fetal_abdomen', 128))],
        key=('stem', ),
        tables=[Table(r'AC/(?P<list>train|val)\.txt$',
                      row=r'^\s*(?:[^\s]*/)?(?P<stem>[^\s/]+?)(?:\.png)?\s*$')
                ],
        part='list',
        parts={'train': 'train', 'val': 'test'},
        exclude=[(r'HC/', 'HC half duplicates the HC (HC18) dataset')],
        keep_empty=False),
    categories=('fetal_abdomen', ),
    changes=('only the AC half (HC duplicates HC18)', 'the repository\'s '
             'train / val lists are the split (val is the test part)',
             'no opening / largest-component step: anti-aliased masks are '
             'thresholded at 128 and specks go with the small-object filter '
             '(the original turned masks emptied by the erosion into '
             'full-image masks)')))

register(DatasetSpec(
    name='FH-PS-AOP',
    anatomy='fetus',
    url='https://zenodo.org/records/10829116',
    licence='not stated',
    download='FH-PS-AOP.zip (nested zip with image_mha/*.mha and '
    'label_mha/*.mha)',
    layout=ImageMaskPairs(
        source=r'image_mha/(?P<stem>[^/]+)\.mha$',
        masks=[MaskRule(r'label_mha/(?P<stem>[^/]+)\.mha$',
                        LabelMap({1: 'pubic_symphysis', 2: 'fetal_head'}))],
        key=('stem', ),
        image_plane=0),
    categories=('pubic_symphysis', 'fetal_head'),
    changes=('the field-of-view convex-hull heuristic (flagged "issue" by '
             'its author) is not applied: labels are kept as annotated', )))

register(DatasetSpec(
    name='HC',
    anatomy='fetus',
    url='https://zenodo.org/records/1327317',
    licence='CC BY 4.0 (unverified)',
    download='HC.zip (holding training_set.zip with NNN_[k]HC.png and '
    'NNN_[k]HC_Annotation.png)',
    layout=ImageMaskPairs(
        source=r'training_set/(?P<stem>(?P<subject>\d+)_\d*HC)\.png$',
        masks=[MaskRule(r'training_set/(?P<stem>\d+_\d*HC)_Annotation\.png$',
                        Threshold('fetal_head', 128))],
        key=('stem', ),
        group='{subject}'),
    categories=('fetal_head', ),
    mask_ops=('fill_holes', ),
    unverified=('NNN_HC and NNN_2HC are one subject', ),
    changes=('split by the leading number', )))

OTU_CLASSES = {
    '0': 'chocolate_cyst', '1': 'serous_cystadenoma', '2': 'teratoma',
    '3': 'theca_cell_tumor', '4': 'simple_cyst', '5': 'normal_ovary',
    '6': 'mucinous_cystadenoma', '7': 'high_grade_serous'
}

register(DatasetSpec(
    name='MMOTU-2D',
    anatomy='ovary',
    url='https://github.com/cv516Buaa/MMOTU_DS2Net',
    licence='not stated',
    download='MMOTU_2d.zip (OTU_2d/images/<N>.JPG, OTU_2d/annotations/'
    '<N>.PNG, OTU_2d/{train,val}_cls.txt)',
    layout=ImageMaskPairs(
        source=r'OTU_2d/images/(?P<n>\d+)\.jpg$',
        masks=[MaskRule(r'OTU_2d/annotations/(?P<n>\d+)\.png$',
                        NonZero('{cls}'))],
        key=('n', ),
        tables=[Table(r'OTU_2d/(?P<list>train|val)_cls\.txt$',
                      row=r'^\s*(?P<n>\d+)\.jpg\s+(?P<cls>\d+)')],
        values=dict(cls=OTU_CLASSES),
        part='list',
        parts={'train': 'train', 'val': 'test'}),
    categories=tuple(OTU_CLASSES.values()),
    original_test=True,
    changes=('an image in neither list is skipped and reported (the '
             'original reused the previous label and split)',
             '"theca_cell_tumor" (the original spelled "thera")',
             'the test-time area filter (filter_anno.py) is not applied')))

register(DatasetSpec(
    name='MMOTU-3D',
    anatomy='ovary',
    url='https://github.com/cv516Buaa/MMOTU_DS2Net',
    licence='not stated',
    download='MMOTU_3d.zip (OTU_3d/images/<N>.JPG, OTU_3d/annotations/'
    '<N>.PNG)',
    layout=ImageMaskPairs(
        source=r'OTU_3d/images/(?P<n>\d+)\.jpg$',
        masks=[MaskRule(r'OTU_3d/annotations/(?P<n>\d+)\.png$',
                        NonZero('lesion'))],
        key=('n', )),
    categories=('lesion', )))
