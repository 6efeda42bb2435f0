"""Thyroid ultrasound datasets of US-43d."""
from ..layouts import Hdf5Frames, ImageMaskPairs, MaskRule, VolumePairs
from ..masks import Equals, LabelMap, Threshold
from ..spec import DatasetSpec, register

ANATOMY = 'thyroid'
TN3K_URL = ('https://github.com/openmedlab/Awesome-Medical-Dataset/blob/main/'
            'resources/TN3K.md')

register(DatasetSpec(
    name='DDTI',
    anatomy=ANATOMY,
    url=TN3K_URL,
    licence='not stated',
    download='the TN3K bundle (Thyroid Dataset/DDTI dataset/DDTI.zip with '
    '2_preprocessed_data/stage1/{p_image,p_mask}/*.PNG); RAW/TN3K/ is '
    'searched too',
    layout=ImageMaskPairs(
        source=r'stage1/p_image/(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'stage1/p_mask/(?P<stem>[^/]+)\.png$',
                        Equals('thyroid_nodule', 255))],
        key=('stem', )),
    categories=('thyroid_nodule', ),
    folders=('TN3K', )))

register(DatasetSpec(
    name='TG3K',
    anatomy=ANATOMY,
    url=TN3K_URL,
    licence='not stated',
    download='the TN3K bundle (Thyroid Dataset/tg3k/{thyroid-image,'
    'thyroid-mask}/NNNN.jpg); RAW/TN3K/ is searched too',
    layout=ImageMaskPairs(
        source=r'tg3k/thyroid-image/(?P<n>(?P<block>\d*?)\d{2})\.jpg$',
        masks=[MaskRule(r'tg3k/thyroid-mask/(?P<n>\d+)\.jpg$',
                        Threshold('thyroid_gland', 150))],
        key=('n', ),
        group='block{block}'),
    categories=('thyroid_gland', ),
    folders=('TN3K', ),
    unverified=('frame numbers follow the 16 source videos, so blocks of '
                '100 consecutive numbers keep neighbouring frames in one '
                'split', ),
    changes=('grouped by blocks of 100 consecutive frames (no video ids); '
             'the original split single frames', )))

register(DatasetSpec(
    name='TN3K',
    anatomy=ANATOMY,
    url=TN3K_URL,
    licence='not stated',
    download='TN3K.zip (Thyroid Dataset/tn3k/{trainval,test}-{image,mask}/'
    'NNNN.jpg)',
    layout=ImageMaskPairs(
        source=r'tn3k/(?P<split>trainval|test)-image/(?P<n>\d+)\.jpg$',
        masks=[MaskRule(r'tn3k/(?P<split>trainval|test)-mask/(?P<n>\d+)'
                        r'\.jpg$', Threshold('thyroid_nodule', 150))],
        key=('split', 'n'),
        part='split',
        parts={'trainval': 'train', 'test': 'test'}),
    categories=('thyroid_nodule', ),
    changes=('the official test set is the test split (the original merged '
             'it)', )))

register(DatasetSpec(
    name='TNSCUI',
    anatomy=ANATOMY,
    url='https://tn-scui2020.grand-challenge.org/',
    licence='challenge data terms (unverified)',
    download='the official release (image/*.PNG, mask/*.PNG with 0/255) or '
    'the VOC-style tnscui.tar.gz (JPEGImages/*.jpg, SegmentationClass/*.png)',
    layout=ImageMaskPairs(
        source=r'(?:JPEGImages|image)/(?P<stem>[^/]+)\.(?:jpg|png)$',
        masks=[MaskRule(r'(?:SegmentationClass|mask)/(?P<stem>[^/]+)\.png$',
                        LabelMap({1: 'thyroid_nodule',
                                  255: 'thyroid_nodule'}))],
        key=('stem', )),
    categories=('thyroid_nodule', ),
    changes=('masks with value 255 (the official release) are decoded too; '
             'the original read only value 1 and found no nodule in them', )))

register(DatasetSpec(
    name='Segthy',
    anatomy=ANATOMY,
    url='https://www.cs.cit.tum.de/camp/publications/segthy-dataset/',
    licence='not stated',
    download='the US ground truth (ground_truth_data/US/<vvv>_..._US.nii, '
    'ground_truth_data/US_thyroid_label/<vvv>_....nii)',
    layout=VolumePairs(
        source=r'US/(?P<stem>(?P<volunteer>\d+)_[^/]+?)_US\.nii(?:\.gz)?$',
        masks=[MaskRule(r'US_thyroid_label/(?P<stem>[^/]+?)(?:_US)?'
                        r'\.nii(?:\.gz)?$',
                        LabelMap({1: 'thyroid', 2: 'carotid_artery',
                                  3: 'jugular_vein'}))],
        key=('stem', ),
        group='{volunteer}'),
    categories=('thyroid', 'carotid_artery', 'jugular_vein'),
    orientation='rot180',
    unverified=('whether label files contain values 2 and 3', ),
    changes=('only the US/ and US_thyroid_label/ volumes are read (MRI '
             'files are ignored)', 'split by volunteer')))

register(DatasetSpec(
    name='Thyroid US Cineclip',
    anatomy=ANATOMY,
    url='https://stanfordaimi.azurewebsites.net/datasets/'
    'a72f2b02-7b53-4c5d-963c-d7253220bfd5',
    licence='Stanford research-use agreement (unverified)',
    download='dataset.hdf5 (datasets image, mask, annot_id, frame_num)',
    layout=Hdf5Frames(
        file=r'dataset\.hdf5$',
        image_key='image',
        mask_key='mask',
        group_key='annot_id',
        frame_key='frame_num',
        name='thyroid_nodule'),
    categories=('thyroid_nodule', ),
    mask_ops=('fill_holes', ),
    unverified=('the masks delineate nodules (the original named them '
                '"thyroid")', ),
    changes=('split by clip (annot_id); the original split frames', )))
