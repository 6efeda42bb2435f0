"""Breast ultrasound datasets of US-43d."""
from ..layouts import ImageMaskPairs, MaskRule, Table
from ..masks import Equals, LabelMap, NonZero, Palette, Threshold
from ..spec import DatasetSpec, register

ANATOMY = 'breast'

register(DatasetSpec(
    name='BrEaST',
    anatomy=ANATOMY,
    url='https://www.cancerimagingarchive.net/collection/breast-lesions-usg/',
    licence='TCIA, CC BY 4.0 (unverified)',
    download='BrEaST-Lesions_USG-images_and_masks-Dec-15-2023.zip (images '
    '<case>.png, masks <case>_<finding>.png)',
    layout=ImageMaskPairs(
        source=r'(?P<case>case\d+)\.png$',
        masks=[MaskRule(r'(?P<case>case\d+)_(?P<finding>[a-z]+)\d*\.png$',
                        NonZero('{finding}'))],
        key=('case', ),
        values=dict(finding=dict(tumor='tumor', other='other_finding'))),
    categories=('tumor', 'other_finding'),
    unverified=('one image per patient (case number = patient)', ),
    changes=('non-tumour findings are "other_finding", not "cyst"', )))

register(DatasetSpec(
    name='BUID',
    anatomy=ANATOMY,
    url='https://qamebi.com/breast-ultrasound-images-database/',
    licence='not stated',
    download='Benign.zip and Malignant.zip (<n> <class> Image.bmp, '
    '<n> <class> Mask.tif)',
    layout=ImageMaskPairs(
        source=r'(?P<cls>Benign|Malignant)/(?:[^/]+/)*(?P<stem>[^/]*)'
        r'Image\.bmp$',
        masks=[MaskRule(r'(?P<cls>Benign|Malignant)/(?:[^/]+/)*'
                        r'(?P<stem>[^/]*)Mask\.tif$',
                        Threshold('breast_nodule', 150))],
        key=('cls', 'stem')),
    categories=('breast_nodule', )))

register(DatasetSpec(
    name='BUS_UC',
    anatomy=ANATOMY,
    url='https://data.mendeley.com/datasets/3ksd7w7jkx/1',
    licence='CC BY 4.0 (Mendeley default, unverified)',
    download='BUS_UC.zip ({Benign,Malignant}/{images,masks}/*.png)',
    layout=ImageMaskPairs(
        source=r'(?P<cls>Benign|Malignant)/images/(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'(?P<cls>Benign|Malignant)/masks/(?P<stem>[^/]+)'
                        r'\.png$', Equals('{cls}', 255))],
        key=('cls', 'stem'),
        values=dict(cls=dict(Benign='breast_benign',
                             Malignant='breast_malignant')),
        exclude=[(r'All/', 'copy of Benign and Malignant (All folder)')],
        keep_empty=False,
        mask_fit='resize'),
    categories=('breast_benign', 'breast_malignant'),
    changes=('paired by class folder and stem (the original keyed by stem '
             'only, so equal numbers in Benign and Malignant collided)', )))

register(DatasetSpec(
    name='BUS_UCML',
    anatomy=ANATOMY,
    url='https://data.mendeley.com/datasets/7fvgj4jsp7/1',
    licence='CC BY 4.0 (unverified)',
    download='BUS-UCLM.zip (images/<patient>_<n>.png, masks/ same names, '
    'RGB masks)',
    layout=ImageMaskPairs(
        source=r'images/(?P<stem>(?P<patient>[^/_]+)_[^/]+)\.png$',
        masks=[MaskRule(r'masks/(?P<stem>[^/]+)\.png$',
                        Palette({(0, 255, 0): 'benign_breast_lesion',
                                 (255, 0, 0): 'malignant_breast_lesion'}))],
        key=('stem', ),
        group='{patient}',
        keep_empty=False),
    categories=('benign_breast_lesion', 'malignant_breast_lesion'),
    unverified=('the file-name prefix before "_" is the patient', ),
    changes=('split by patient (38 patients), not by image', )))

register(DatasetSpec(
    name='BUS-BRA',
    anatomy=ANATOMY,
    url='https://zenodo.org/records/8231412',
    licence='academic and research use (Zenodo record)',
    download='BUSBRA.zip (Images/bus_XXXX-Y.png, Masks/mask_XXXX-Y.png, '
    '5-fold-cv.csv)',
    layout=ImageMaskPairs(
        source=r'Images/bus_(?P<n>(?P<patient>\d+)-[^/]+)\.png$',
        masks=[MaskRule(r'Masks/mask_(?P<n>[^/]+)\.png$',
                        Equals('{pathology}', 255))],
        key=('n', ),
        group='{patient}',
        tables=[Table(r'5-fold-cv\.csv$',
                      columns={'Pathology': 'pathology', 'kFold': 'fold'},
                      row=r'bus_(?P<n>.+)', row_column='ID')],
        values=dict(pathology=dict(benign='breast_nodule_benign',
                                   malignant='breast_nodule_malignant')),
        part='fold',
        parts={'1': 'test'},
        part_default='train'),
    categories=('breast_nodule_benign', 'breast_nodule_malignant'),
    original_test=True,
    changes=('an image without a CSV row is skipped and reported (the '
             'original reused the previous row)', 'split by patient')))

register(DatasetSpec(
    name='BUS',
    anatomy=ANATOMY,
    url='https://helward.mmu.ac.uk/STAFF/M.Yap/dataset.php (on request)',
    licence='research-only agreement (unverified)',
    download='BUS.zip (BUS/original/*.png, BUS/GT/*.png)',
    layout=ImageMaskPairs(
        source=r'original/(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'GT/(?P<stem>[^/]+)\.png$',
                        Threshold('breast_nodule', 150))],
        key=('stem', )),
    categories=('breast_nodule', )))

register(DatasetSpec(
    name='BUSI',
    anatomy=ANATOMY,
    url='https://scholar.cu.edu.eg/?q=afahmy/pages/dataset',
    licence='not stated',
    download='BUSI.zip (Dataset_BUSI_with_GT/{benign,malignant}/'
    '<cls> (N).png and <cls> (N)_mask[_k].png)',
    layout=ImageMaskPairs(
        source=r'(?P<cls>benign|malignant)/(?P<stem>(?P=cls) \(\d+\))\.png$',
        masks=[MaskRule(r'(?P<cls>benign|malignant)/(?P<stem>[^/]+?)'
                        r'_mask(?:_\d+)?\.png$',
                        Threshold('breast_nodule', 150))],
        key=('cls', 'stem'),
        exclude=[(r'normal/', 'normal image (no lesion)')]),
    categories=('breast_nodule', ),
    changes=('identical images (reported duplicates) are kept in one '
             'split', )))

register(DatasetSpec(
    name='S1',
    anatomy=ANATOMY,
    url='https://www.ncbi.nlm.nih.gov/pmc/articles/PMC8205136/',
    licence='not stated',
    download='S1.zip (Data/{TrainingDataSet,TestingDataSet}/..., masks '
    'under a Labels folder)',
    layout=ImageMaskPairs(
        source=r'(?P<split>TrainingDataSet|TestingDataSet)/(?:[^/]+/)*'
        r'(?P<stem>[^/]+)\.(?:jpg|png)$',
        masks=[MaskRule(r'(?P<split>TrainingDataSet|TestingDataSet)/'
                        r'(?:[^/]+/)*?[^/]*Labels[^/]*/(?:[^/]+/)*'
                        r'(?P<stem>[^/]+)\.(?:jpg|png)$',
                        LabelMap({127: 'benign_tumour',
                                  255: 'malignant_tumour'}))],
        key=('split', 'stem'),
        exclude=[(r'(?:[^/]+/)*[^/]*General', 'General folder (not used)')],
        part='split',
        parts={'TrainingDataSet': 'train', 'TestingDataSet': 'test'}),
    categories=('benign_tumour', 'malignant_tumour'),
    unverified=('the paper behind the link; the anatomy (breast)', ),
    changes=('the official training / testing folders are the split',
             'paired by folder and stem')))

register(DatasetSpec(
    name='STU-Hospital',
    anatomy=ANATOMY,
    url='https://github.com/xbhlk/STU-Hospital',
    licence='no licence file in the repository',
    download='the cloned repository (Hospital/Test_Image_<k>.png, '
    'Hospital/mask_<k>.png)',
    layout=ImageMaskPairs(
        source=r'Hospital/Test_Image_(?P<k>\d+)\.png$',
        masks=[MaskRule(r'Hospital/mask_(?P<k>\d+)\.png$',
                        Threshold('breast_tumour', 128))],
        key=('k', ),
        mask_fit='resize'),
    categories=('breast_tumour', ),
    changes=('"breast_tumour", not "benign_tumour"; anti-aliased 512 px '
             'masks thresholded at 128 before the nearest resize', )))
