"""The public ultrasound classification datasets: layouts, labels, groups, splits.

Sources are named per spec; facts not checked against a primary source are in
``unverified`` (shown by ``build_classification.py --list`` and in each
build's manifest). See also ``/work/shared/docs/classification-datasets.md``.
"""
from ...us43d.layouts import ImageMaskPairs, Table
from ...us43d.specs.obstetric_gynaecology import OTU_CLASSES
from .layouts import CocoImageLabels, MatRecords, SampledVideos, VocImages
from .spec import ClassificationSpec, register

_UB = 'adamtupper/usaugment-experiments scripts/data/{}'

register(ClassificationSpec(
    name='BUS-BRA',
    slug='busbra',
    anatomy='breast',
    url='https://zenodo.org/records/8231412',
    licence='academic and research use (Zenodo record)',
    download='BUSBRA.zip (Images/bus_XXXX-Y.png, 5-fold-cv.csv with ID, '
    'Pathology, kFold)',
    layout=ImageMaskPairs(
        source=r'Images/bus_(?P<n>(?P<patient>\d+)-[^/]+)\.png$',
        masks=(),
        require_masks=False,
        key=('n', ),
        group='{patient}',
        tables=[Table(r'5-fold-cv\.csv$',
                      columns={'Pathology': 'label', 'kFold': 'fold'},
                      row=r'bus_(?P<n>.+)', row_column='ID')],
        part='fold',
        parts={'1': 'test'},
        part_default='train'),
    classes=('benign', 'malignant'),
    groups='patient (the number of bus_NNNN-S)',
    official_split='5-fold CV partition: fold 1 is test (as UltraSam), '
    'validation carved by patient from the other folds',
    sources=('wgomezf/BUS-BRA BUSBRA-Codes (cls_busdataset.m, '
             'cls_partitions.m)', 'CAMMA-public/UltraSam '
             'datasets/datasets/BUS-BRA.py'),
    unverified=('the number in bus_NNNN-S is the patient (1064 patients, '
                '1875 images)', ),
    notes=('several images per patient: grouped by patient', )))

register(ClassificationSpec(
    name='MMOTU-2D',
    slug='mmotu2d',
    anatomy='ovary',
    url='https://github.com/cv516Buaa/MMOTU_DS2Net',
    licence='not stated',
    download='MMOTU_2d.zip (OTU_2d/images/<N>.JPG, '
    'OTU_2d/{train,val}_cls.txt with "<N>.JPG  <0-7>" lines)',
    layout=ImageMaskPairs(
        source=r'OTU_2d/images/(?P<n>\d+)\.jpg$',
        masks=(),
        require_masks=False,
        key=('n', ),
        tables=[Table(r'OTU_2d/(?P<list>train|val)_cls\.txt$',
                      row=r'^\s*(?P<n>\d+)\.jpg\s+(?P<label>\d+)')],
        values=dict(label=OTU_CLASSES),
        part='list',
        parts={'train': 'train', 'val': 'test'}),
    classes=tuple(OTU_CLASSES.values()),
    groups='image (no patient ids are released)',
    official_split='train_cls.txt is train, val_cls.txt is test (as UltraSam '
    'and UltraBench); validation carved from train by image',
    sources=(_UB.format('mmotu/prepare_mmotu.py'),
             'CAMMA-public/UltraSam datasets/datasets/MMOTU_2d.py'),
    unverified=('per-class counts',
                'UltraBench states the official train / val lists share no '
                'patient; the validation part carved here may'),
    notes=('labels 0-7 in the list order of the MMOTU release '
           '(chocolate_cyst .. high_grade_serous)',
           'an image in neither list is skipped and reported')))

register(ClassificationSpec(
    name='GIST514-DB',
    slug='gist514db',
    anatomy='gastro-intestinal',
    url='https://github.com/howardchina/query2',
    licence='CC BY-NC-SA 4.0',
    download='GIST514-DB.zip (usd514_jpeg_roi/images/*.jpg, '
    'usd514_jpeg_roi/annotations/{train,val}_anno_crop_split_0.json)',
    layout=CocoImageLabels(
        images=r'images/(?P<file>[^/]+\.jpg)$',
        annotations=r'annotations/(?P<split>train|val)_anno_crop_split_0'
        r'\.json$',
        categories={'lmym': 'leiomyoma', 'GIST': 'gist'},
        part='split',
        parts={'train': 'train', 'val': 'test'}),
    classes=('leiomyoma', 'gist'),
    groups='image (no patient ids found)',
    official_split='split 0: train json is train, val json is test (as '
    'UltraSam); validation carved from train by image',
    sources=('howardchina/query2 configs/ultra_sound/'
             'condaqueryinst_usdanno514roi/*_split0.py',
             'CAMMA-public/UltraSam datasets/datasets/GIST514-DB.py'),
    unverified=('whether several images come from one patient', ),
    notes=('the class is the COCO category of the image\'s lesion '
           'annotations (lmym = leiomyoma, GIST); an image with both, or '
           'none, is skipped and reported', )))

register(ClassificationSpec(
    name='BUSI',
    slug='busi',
    anatomy='breast',
    url='https://scholar.cu.edu.eg/?q=afahmy/pages/dataset',
    licence='not stated',
    download='Dataset_BUSI_with_GT.zip ({benign,malignant,normal}/<class> '
    '(N).png; the *_mask*.png files are ignored)',
    layout=ImageMaskPairs(
        source=r'(?P<label>benign|malignant|normal)/'
        r'(?P<stem>(?P=label) \(\d+\))\.png$',
        masks=(),
        require_masks=False,
        key=('label', 'stem')),
    classes=('normal', 'benign', 'malignant'),
    groups='image (no patient ids; identical images are kept in one split)',
    official_split='none: seeded split',
    sources=('the dataset\'s folder layout (CAMMA-public/UltraSam '
             'datasets/datasets/BUSI.py)',
             'Pawlowska et al. 2023, Data in Brief (duplicates, axilla '
             'images, overlays)'),
    unverified=('about 600 patients for 780 images: images of one patient '
                'may fall in different splits', ),
    notes=('identical images with different labels are dropped (reported); '
           'identical images with the same label stay in one split',
           'about 70 axilla images and overlaid annotations are kept')))

register(ClassificationSpec(
    name='AUL',
    slug='aul',
    anatomy='liver',
    url='https://zenodo.org/records/7272660',
    licence='open access, subject to copyright, acknowledgement required',
    download='AUL.zip (Benign.zip, Malignant.zip, Normal.zip with '
    '<Class>/image/<n>.jpg)',
    layout=ImageMaskPairs(
        source=r'(?P<label>Benign|Malignant|Normal)/image/(?P<n>\d+)\.jpg$',
        masks=(),
        require_masks=False,
        key=('label', 'n'),
        values=dict(label=dict(Normal='normal', Benign='benign',
                               Malignant='malignant'))),
    classes=('normal', 'benign', 'malignant'),
    groups='image (one patient per image, UltraBench wiki)',
    official_split='none: seeded split (UltraBench uses a stratified 7:1:2)',
    sources=(_UB.format('aul/prepare_aul.py'),
             'https://github.com/adamtupper/ultrabench/wiki/Datasets'),
    notes=('file numbers repeat across classes: names keep the class', )))

register(ClassificationSpec(
    name='Fatty-liver',
    slug='fatty_liver',
    anatomy='liver',
    url='https://zenodo.org/records/1009146',
    licence='not stated',
    download='dataset_liver_bmodes_steatosis_assessment_IJCARS.mat',
    layout=MatRecords(
        file=r'dataset_liver_bmodes_steatosis_assessment_IJCARS\.mat$',
        variable='data',
        values=dict(label={'0': 'normal', '1': 'steatosis'})),
    classes=('normal', 'steatosis'),
    groups='patient (its 10 consecutive frames)',
    official_split='none: seeded split by patient',
    sources=(_UB.format('fatty_liver/prepare_fatty_liver.py'),
             'Byra et al. 2018, IJCARS, doi 10.1007/s11548-018-1843-2'),
    unverified=('the MATLAB field names (records are read by position: id, '
                'class, steatosis %, frames)',
                'the frame axis of the stack (taken as its shortest)'),
    notes=('class 1 = NAFLD (>= 5 % hepatocytes with steatosis)',
           'frames of one patient are nearly identical')))

register(ClassificationSpec(
    name='POCUS',
    slug='pocus',
    anatomy='lung',
    url='https://github.com/jannisborn/covid19_ultrasound',
    licence='mostly CC BY-NC 4.0, per file in data/dataset_metadata.csv',
    download='the repository\'s data/ folder (pocus_videos/convex/*, '
    'pocus_images/convex/*)',
    layout=SampledVideos(
        source=r'pocus_(?:videos|images)/convex/(?P<file>(?P<label>[a-z]{3})'
        r'[^/]*\.(?:mp4|gif|avi|mov|mpeg|m4v|png|jpe?g))$',
        key=('file', ),
        video_suffixes=('.mp4', '.gif', '.avi', '.mov', '.mpeg', '.m4v'),
        fps=3.,
        max_frames=30,
        fold_case=('label', ),
        values=dict(label=dict(cov='covid', pne='pneumonia',
                               reg='regular'))),
    classes=('covid', 'pneumonia', 'regular'),
    groups='source file (all frames of a video together)',
    official_split='none: seeded split by video (the repository\'s '
    'cross-validation splitter is not used)',
    sources=(_UB.format('pocus/prepare_pocus.py'),
             'jannisborn/covid19_ultrasound data/README.md'),
    unverified=('frame rates of GIFs as read by OpenCV (30 fps assumed when '
                'none is stored)', ),
    notes=('convex probes only; viral pneumonia (Vir*) files are skipped '
           'as "unknown label value" (not a class, as in UltraBench)',
           '3 frames per second, at most 30 per video (UltraBench)',
           'Butterfly / ICLUS videos fetched by the repository\'s scripts '
           'are used when present in the folders')))

register(ClassificationSpec(
    name='TN5000',
    slug='tn5000',
    anatomy='thyroid',
    url='https://doi.org/10.6084/m9.figshare.28455641',
    licence='not stated',
    download='TN5000_forReview.zip (JPEGImages/<id>.jpg, Annotations/'
    '<id>.xml, ImageSets/Main/{train,val,test}.txt)',
    layout=VocImages(
        images=r'JPEGImages/(?P<id>[^/]+)\.jpg$',
        annotations=r'Annotations/(?P<id>[^/]+)\.xml$',
        tables=[Table(r'ImageSets/Main/(?P<list>train|val|test)\.txt$',
                      row=r'^\s*(?P<id>[^\s/]+)\s*$')],
        values=dict(label={'0': 'benign', '1': 'malignant'}),
        part='list',
        parts={'train': 'train', 'val': 'val', 'test': 'test'}),
    classes=('benign', 'malignant'),
    groups='image (no patient ids found)',
    official_split='ImageSets/Main train / val / test lists',
    sources=('Zhang et al. 2025, Sci. Data (Qingyanyichen/TN5000-2025 '
             'README)', 'third-party VOC loaders of the release'),
    unverified=('the label encoding "0" = benign, "1" = malignant',
                'the official split sizes', 'no patient ids'),
    notes=('an image whose objects disagree is skipped and reported', )))

register(ClassificationSpec(
    name='Butterfly',
    slug='butterfly',
    anatomy='multiple (cardiac, lung, abdomen, neck)',
    url='https://github.com/ButterflyNetwork/MITGrandHack2018',
    licence='Yale Hackathon 2018 use only; no re-publication without '
    'Butterfly Network\'s written permission (README)',
    download='butterfly_dataset_{training1,training2,test}.tar.gz '
    '(<subset>/<patient>/<class>/<image>.png)',
    layout=ImageMaskPairs(
        source=r'(?P<subset>training[^/]*|test)/(?P<patient>\d+)/'
        r'(?P<label>carotid|2ch|lungs|ivc|4ch|bladder|thyroid|plax|'
        r'morisons_pouch)/(?P<name>[^/]+)\.png$',
        masks=(),
        require_masks=False,
        key=('subset', 'patient', 'label', 'name'),
        group='{patient}',
        part='subset',
        parts={'test': 'test'},
        part_default='train'),
    classes=('carotid', '2ch', 'lungs', 'ivc', '4ch', 'bladder', 'thyroid',
             'plax', 'morisons_pouch'),
    groups='patient (the numbered folder)',
    official_split='the test folder is test; validation carved by patient '
    'from training',
    sources=('ButterflyNetwork/MITGrandHack2018 README',
             _UB.format('butterfly/prepare_butterfly.py')),
    notes=('restrictive licence: check it before any use',
           'many near-duplicate frames per patient and class')))
