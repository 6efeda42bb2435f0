"""Abdominal, gastro-intestinal, renal and prostate datasets of US-43d."""
from ..layouts import CocoPolygonFiles, ImageMaskPairs, MaskRule, VolumePairs
from ..masks import ChannelsNonZero, LabelMap, Palette, PointListJson
from ..spec import DatasetSpec, register

register(DatasetSpec(
    name='AbdomenUS',
    anatomy='abdomen',
    url='https://www.kaggle.com/datasets/ignaciorlando/ussimandsegm',
    licence='not stated',
    download='AbdomenUS.zip (abdominal_US/{AUS,RUS}/{images,annotations}/'
    '{train,test}/...)',
    layout=ImageMaskPairs(
        source=r'(?P<kind>AUS|RUS)/images/(?P<split>train|test)/'
        r'(?P<stem>[^/]+)\.(?:png|jpg)$',
        masks=[MaskRule(r'(?P<kind>AUS|RUS)/annotations/(?P<split>train|test)'
                        r'/(?P<stem>[^/]+)\.(?:png|jpg)$',
                        Palette({(100, 0, 100): 'liver',
                                 (255, 255, 0): 'kidney',
                                 (0, 0, 255): 'pancreas',
                                 (255, 0, 0): 'vessels',
                                 (0, 255, 255): 'adrenals',
                                 (0, 255, 0): 'gallbladder',
                                 (255, 255, 255): 'bones',
                                 (255, 0, 255): 'spleen'}))],
        key=('kind', 'split', 'stem'),
        exclude=[(r'AUS/', 'simulated image (AUS), excluded as by the '
                  'original')],
        part='split',
        parts={'train': 'train', 'test': 'test'}),
    categories=('liver', 'kidney', 'pancreas', 'vessels', 'adrenals',
                'gallbladder', 'bones', 'spleen'),
    unverified=('colour legend in RGB: yellow kidney, blue pancreas, red '
                'vessels, cyan adrenals (third-party description); the '
                'original matched these tuples in BGR order, which swaps '
                'kidney/adrenals and pancreas/vessels', ),
    changes=('colours matched in RGB', 'the official train / test folders '
             'are the split', 'paired by folder and stem')))

register(DatasetSpec(
    name='AUL',
    anatomy='liver',
    url='https://zenodo.org/records/7272660',
    licence='open access, subject to copyright, acknowledgement required',
    download='AUL.zip (Benign.zip, Malignant.zip, Normal.zip with '
    '<Class>/image/<n>.jpg and <Class>/segmentation/{liver,mass,outline}/'
    '<n>.json)',
    layout=ImageMaskPairs(
        source=r'(?P<cls>Benign|Malignant|Normal)/image/(?P<n>\d+)\.jpg$',
        masks=[MaskRule(r'(?P<cls>Benign|Malignant|Normal)/segmentation/'
                        r'(?P<structure>liver|mass)/(?P<n>\d+)\.json$',
                        PointListJson('{structure}'))],
        key=('cls', 'n'),
        exclude=[(r'segmentation/outline/',
                  'scan outline (field of view), not an anatomy'),
                 (r'Malignant/segmentation/liver/(?:229|306)\.json$',
                  'liver polygon that is the scan outline')]),
    categories=('liver', 'mass'),
    changes=('the "outline" polygons (field of view) are excluded as the '
             'original intended; the two liver polygons known to be scan '
             'outlines are dropped', )))

register(DatasetSpec(
    name='GIST514-DB',
    anatomy='gastro-intestinal',
    url='https://github.com/howardchina/query2',
    licence='CC BY-NC-SA 4.0',
    download='GIST514-DB.zip (usd514_jpeg_roi/images/*.jpg, '
    'usd514_jpeg_roi/annotations/{train,val}_anno_crop_split_0.json)',
    layout=CocoPolygonFiles(
        images=r'images/(?P<file>[^/]+\.jpg)$',
        annotations=r'annotations/(?P<split>train|val)_anno_crop_split_0'
        r'\.json$',
        part='split',
        parts={'train': 'train', 'val': 'test'}),
    categories=('lmym', 'GIST'),
    original_test=True,
    changes=('each COCO annotation is rasterised whole, then split into '
             'connected components like every other dataset', )))

register(DatasetSpec(
    name='kidneyUS',
    anatomy='kidney',
    url='https://github.com/rsingla92/kidneyUS',
    licence='CC BY-NC-SA (non-commercial)',
    download='kidneyUS_images_14_june_2022.zip and the repository\'s '
    'labels/reviewed_masks_1/capsule/*.png',
    layout=ImageMaskPairs(
        source=r'(?P<stem>(?P<patient>\d+)_IM-[^/]+)\.png$',
        masks=[MaskRule(r'reviewed_masks_1/capsule/(?P<stem>[^/]+)\.png$',
                        LabelMap({1: 'kidney'}))],
        key=('stem', ),
        group='{patient}',
        exclude=[(r'reviewed_masks_2/', 'second annotator (not used)'),
                 (r'reviewed_masks_1/regions/', 'region masks (not used)')],
        keep_empty=False),
    categories=('kidney', ),
    changes=('split by the leading number (patient)', )))

_PROSTATE_URL = 'https://zenodo.org/records/10475293'
_PROSTATE_DOWNLOAD = ('Micro_Ultrasound_Prostate_Segmentation_Dataset.zip '
                      '({train,test}/micro_ultrasound_scans/microUS_*_NN.nii'
                      '.gz, {train,test}/expert_annotations/'
                      'expert_annotation_*_NN.nii.gz)')
_PROSTATE_LAYOUT = dict(
    source=r'(?P<split>train|test)/micro_ultrasound_scans/'
    r'microUS_(?:train|test)_(?P<n>\d+)\.nii\.gz$',
    masks=[MaskRule(r'(?P<split>train|test)/expert_annotations/'
                    r'expert_annotation_(?:train|test)_(?P<n>\d+)\.nii\.gz$',
                    LabelMap({1: 'prostate'}))],
    key=('split', 'n'),
    group='{split}{n}',
    part='split',
    parts={'train': 'train', 'test': 'test'})

register(DatasetSpec(
    name='MicroSeg',
    anatomy='prostate',
    url=_PROSTATE_URL,
    licence='not stated',
    download=_PROSTATE_DOWNLOAD + '; RAW/MUP/ is searched too',
    layout=VolumePairs(**_PROSTATE_LAYOUT),
    categories=('prostate', ),
    folders=('MUP', ),
    orientation='rot180',
    mask_within_image=True,
    group_namespace='Zenodo-10475293',
    changes=('expert annotations only, paired by split and case (the '
             'original mixed non-expert masks and train / test cases)',
             'the official train / test split')))

register(DatasetSpec(
    name='MUP',
    anatomy='prostate',
    url=_PROSTATE_URL,
    licence='not stated',
    download=_PROSTATE_DOWNLOAD + ' (the MicroSeg data); RAW/MicroSeg/ is '
    'searched too',
    layout=VolumePairs(keep_empty=True, **_PROSTATE_LAYOUT),
    categories=('prostate', ),
    folders=('MicroSeg', ),
    orientation='flipud',
    mask_within_image=True,
    group_namespace='Zenodo-10475293',
    unverified=('orientation: MUP flips vertically, MicroSeg rotates 180 '
                'degrees, from the same data; one of them is wrong', ),
    changes=('the same data as MicroSeg: patients share their split there',
             'expert annotations only', 'the official train / test split')))

register(DatasetSpec(
    name='regPro',
    anatomy='prostate',
    url='https://muregpro.github.io/',
    licence='not stated',
    download='regPro.zip (train.zip, val.zip with us_images/*.nii.gz and '
    'us_labels/*.nii.gz)',
    layout=VolumePairs(
        source=r'(?P<split>train|val)/us_images/(?P<case>[^/]+)\.nii\.gz$',
        masks=[MaskRule(r'(?P<split>train|val)/us_labels/(?P<case>[^/]+)'
                        r'\.nii\.gz$',
                        ChannelsNonZero(['prostate_gland',
                                         'anatomical_landmark']))],
        key=('split', 'case'),
        group='{case}',
        axis='sagittal',
        part='split',
        parts={'train': 'train', 'val': 'test'}),
    categories=('prostate_gland', 'anatomical_landmark'),
    orientation='rot180',
    unverified=('label channel 0 is the prostate gland, the others are '
                'landmarks', ),
    changes=('named structures instead of the placeholder "unknow1"',
             'the official val part is the test split',
             'intensities kept (16-bit PNG when they exceed 8 bits)')))
