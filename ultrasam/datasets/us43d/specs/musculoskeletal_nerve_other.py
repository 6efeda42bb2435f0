"""Musculoskeletal, nerve, vascular, lung and unspecified datasets of US-43d."""
from ..layouts import ImageMaskPairs, MaskRule, VideoFrameMasks, VolumePairs
from ..masks import Equals, LabelMap, LabelMeShapes, NonZero, Threshold
from ..spec import DatasetSpec, register

register(DatasetSpec(
    name='105US',
    anatomy='tumour',
    url='https://www.researchgate.net/publication/329586355',
    licence='not stated',
    download='the folder of <n>.png images and Masks/<n> ....png masks',
    layout=ImageMaskPairs(
        source=r'0*(?P<n>\d+)(?: [^/]*)?\.png$',
        masks=[MaskRule(r'[^/]*Masks[^/]*/(?:[^/]+/)*0*(?P<n>\d+)(?: [^/]*)?'
                        r'\.png$', Equals('tumor', 255))],
        key=('n', ),
        keep_empty=False),
    categories=('tumor', ),
    unverified=('the organ of the tumours', )))

register(DatasetSpec(
    name='ASUS',
    anatomy='spine',
    url='https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7654705/',
    licence='not stated',
    download='ASUS.tar.gz (holding ASUS/DataArrays.zip of .npy stacks; '
    'masks have "segmentation" in their path)',
    layout=VolumePairs(
        source=r'(?:[^/]+/)*(?P<vol>[^/_.]+)[^/]*\.npy$',
        masks=[MaskRule(r'(?=.*segmentation)(?:[^/]+/)*(?P<vol>[^/_.]+)'
                        r'[^/]*\.npy$', LabelMap({1: 'spine'}))],
        key=('vol', )),
    categories=('spine', ),
    orientation='rot180',
    unverified=('the first "_" token of a file name is a volume', ),
    changes=('split by volume', )))

register(DatasetSpec(
    name='brachial plexus',
    anatomy='nerve',
    url='https://github.com/Regional-US/brachial_plexus',
    licence='non-commercial data use agreement',
    download='the cloned repository (data/<device>/videos/<id>.mp4, '
    'data/<device>/ac_masks/<id>/<id>_NNN.jpg, needle/needle_masks/<id>/'
    '<id>_NNN.jpg)',
    layout=VideoFrameMasks(
        source=r'videos/(?P<video>[^/]+)\.mp4$',
        masks=[MaskRule(r'needle_masks/(?:[^/]+/)?(?P<video>[^/]+)_'
                        r'(?P<frame>\d+)\.jpg$', Threshold('needle', 100)),
               MaskRule(r'(?:ac_masks/[^/]+|[^/]+_masks)/(?P<video>[^/]+)_'
                        r'(?P<frame>\d+)\.jpg$',
                        Threshold('nerve_plexus', 100))],
        key=('video', )),
    categories=('nerve_plexus', 'needle'),
    unverified=('mask numbers NNN are 0-based frame indices', ),
    changes=('masks are paired by frame number (the original paired by '
             'list position, misaligning the sparse needle masks)',
             'only frames with a mask are exported', 'split by video')))

register(DatasetSpec(
    name='CCAUI',
    anatomy='carotid',
    url='https://data.mendeley.com/datasets/d4xt63mgjm/1',
    licence='CC BY 4.0 (unverified)',
    download='Common Carotid Artery Ultrasound Images.zip (US images/, '
    'Expert mask images/)',
    layout=ImageMaskPairs(
        source=r'US images/(?P<stem>(?P<subject>[^/]+?)_slice_\d+)\.png$',
        masks=[MaskRule(r'Expert mask images/(?P<stem>[^/]+)\.png$',
                        Equals('carotid_artery', 255))],
        key=('stem', ),
        group='{subject}',
        keep_empty=False),
    categories=('carotid_artery', ),
    changes=('split by acquisition (the prefix before _slice_)', )))

register(DatasetSpec(
    name='FALLMUD',
    anatomy='muscle',
    url='https://kalisteo.cea.fr/index.php/fallmud/',
    licence='not stated',
    download='FALLMUD.zip ({NeilCronin,RyanCunningham}/{images,'
    'aponeurosis_masks,fascicle_masks}/)',
    layout=ImageMaskPairs(
        source=r'(?P<set>NeilCronin|RyanCunningham)/images/(?P<stem>[^/]+)'
        r'\.[a-z]+$',
        masks=[MaskRule(r'(?P<set>NeilCronin|RyanCunningham)/'
                        r'aponeurosis_masks/(?P<stem>[^/]+)\.[a-z]+$',
                        Threshold('aponeurosis', 100)),
               MaskRule(r'(?P<set>NeilCronin|RyanCunningham)/'
                        r'fascicle_masks/(?P<stem>[^/]+)\.[a-z]+$',
                        Threshold('fascicle', 100))],
        key=('set', 'stem'),
        mask_fit='rotate'),
    categories=('aponeurosis', 'fascicle'),
    changes=('fascicles are annotated (the original zeroed them)', )))

register(DatasetSpec(
    name='LUSS_phantom',
    anatomy='lung',
    url='https://archive.researchdata.leeds.ac.uk/1263/',
    licence='CC BY 4.0 (unverified)',
    download='LUSS_phantom.zip (images and masks/*.png with label values)',
    layout=ImageMaskPairs(
        source=r'(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'masks/(?:[^/]+/)*(?P<stem>[^/]+)\.png$',
                        LabelMap({1: 'rib', 2: 'pleural_line', 3: 'A_line',
                                  4: 'B_line', 5: 'B_line_confluence'}))],
        key=('stem', ),
        exclude=[(r'mr_?(?:images|labels)/', 'MR data, not ultrasound')]),
    categories=('rib', 'pleural_line', 'A_line', 'B_line',
                'B_line_confluence'),
    unverified=('MR folder names', )))

register(DatasetSpec(
    name='STMUS_NDA',
    anatomy='muscle',
    url='https://data.mendeley.com/datasets/3jykz7wz8d/1',
    licence='CC BY 4.0 (unverified)',
    download='STMUS_NDA.zip (nested zips with {BB,GM,TA}/{Healthy,'
    'Pathological}/{Images,Masks}/*.png)',
    layout=ImageMaskPairs(
        source=r'(?P<muscle>BB|GM|TA)/(?P<status>Healthy|Pathological)/'
        r'Images/(?P<stem>[^/]+)\.png$',
        masks=[MaskRule(r'(?P<muscle>BB|GM|TA)/(?P<status>Healthy|'
                        r'Pathological)/Masks/(?P<stem>[^/]+)\.png$',
                        NonZero('transverse_musculoskeletal'))],
        key=('muscle', 'status', 'stem'),
        keep_empty=False),
    categories=('transverse_musculoskeletal', ),
    changes=('paired by muscle, status and stem', )))

register(DatasetSpec(
    name='UPBD',
    anatomy='nerve',
    url='http://ubpd.worldwidetracing.com/',
    licence='not stated',
    download='the folder of *.jpg images with LabelMe *.json next to them',
    layout=ImageMaskPairs(
        source=r'(?P<dir>(?:[^/]+/)*)(?P<stem>[^/]+)\.jpg$',
        masks=[MaskRule(r'(?P<dir>(?:[^/]+/)*)(?P<stem>[^/]+)\.json$',
                        LabelMeShapes({'dongmai': 'artery',
                                       'jingmai': 'vein',
                                       'jirouzuzhi': 'muscle',
                                       'shenjing': 'nerve',
                                       'zhifang': 'fat',
                                       'jizhu': 'spine'}))],
        key=('dir', 'stem')),
    categories=('artery', 'vein', 'muscle', 'nerve', 'fat', 'spine'),
    changes=('an unknown LabelMe label is reported (the original crashed)',
             'paired by folder and stem')))

register(DatasetSpec(
    name='US nerve Segmentation',
    anatomy='nerve',
    url='https://www.kaggle.com/c/ultrasound-nerve-segmentation',
    licence='competition rules, non-commercial (unverified)',
    download='train/<subject>_<img>.tif and train/<subject>_<img>_mask.tif',
    layout=ImageMaskPairs(
        source=r'train/(?P<subject>\d+)_(?P<n>\d+)\.tif$',
        masks=[MaskRule(r'train/(?P<subject>\d+)_(?P<n>\d+)_mask\.tif$',
                        Threshold('brachial_plexus', 150))],
        key=('subject', 'n'),
        group='{subject}'),
    categories=('brachial_plexus', ),
    changes=('"brachial_plexus", not "cervical_nerves"', 'split by subject;'
             ' no per-subject files to merge')))
