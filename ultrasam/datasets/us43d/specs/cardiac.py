"""Echocardiography datasets of US-43d."""
from ..layouts import MaskRule, Table, VideoTracings, VolumePairs
from ..masks import LabelMap, NonZero
from ..spec import DatasetSpec, register

ANATOMY = 'heart'

register(DatasetSpec(
    name='CAMUS',
    anatomy=ANATOMY,
    url='https://humanheart-project.creatis.insa-lyon.fr/database/',
    licence='registration, research use (unverified)',
    download='CAMUS_public.zip (patientXXXX/patientXXXX_{2CH,4CH}_'
    'half_sequence[_gt].nii.gz)',
    layout=VolumePairs(
        source=r'(?P<patient>patient\d+)_(?P<view>[24]CH)_half_sequence'
        r'\.nii\.gz$',
        masks=[MaskRule(r'(?P<patient>patient\d+)_(?P<view>[24]CH)_'
                        r'half_sequence_gt\.nii\.gz$',
                        LabelMap({1: 'left_ventricle', 2: 'myocardium',
                                  3: 'left_atrium'}))],
        key=('patient', 'view'),
        group='{patient}',
        keep_empty=True),
    categories=('left_ventricle', 'myocardium', 'left_atrium'),
    mask_within_image=True,
    unverified=('CAMUS ships subgroup split lists; they are not used', ),
    changes=('structures named as in CAMUS (the original called the '
             'myocardium "epicardium" and the left atrium "atrium_wall")',
             'split by patient')))

register(DatasetSpec(
    name='CardiacUDC',
    anatomy=ANATOMY,
    url='https://www.kaggle.com/datasets/xiaoweixumedicalai/cardiacudc-dataset',
    licence='not stated',
    download='cardiacUDC.zip (holding cardiacUDC_dataset.change2zip, a zip '
    'of <site>/<patient>_{image,label}.nii.gz)',
    layout=VolumePairs(
        source=r'(?P<site>[^/]+)/(?P<patient>[^/_]+)_image\.nii\.gz$',
        masks=[MaskRule(r'(?P<site>[^/]+)/(?P<patient>[^/_]+)_label'
                        r'\.nii\.gz$',
                        LabelMap({1: 'left_ventricle', 2: 'left_atrium',
                                  3: 'right_atrium', 4: 'right_ventricle',
                                  5: 'epicardium', 6: 'left_ventricle2'}))],
        key=('site', 'patient'),
        group='{site}/{patient}'),
    categories=('left_ventricle', 'left_atrium', 'right_atrium',
                'right_ventricle', 'epicardium', 'left_ventricle2'),
    orientation='rot180',
    mask_ops=('fill_holes', ),
    unverified=('label names (the converter\'s) against the dataset '
                'documentation', 'label_all_frame uses another encoding '
                '(third-party note)'),
    changes=('holes are filled per label independently (the original '
             'filled in label order and overwrote enclosed labels)',
             'the 2.5 % frame filter is replaced by the small-object filter',
             'split by patient')))

register(DatasetSpec(
    name='EchoCP',
    anatomy=ANATOMY,
    url='https://www.kaggle.com/datasets/xiaoweixumedicalai/echocp',
    licence='not stated',
    download='the dataset folder (<patient>_<r|v>_{image,label}.nii.gz)',
    layout=VolumePairs(
        source=r'(?P<id>(?P<patient>[^/_]+)[^/]*?)_image\.nii\.gz$',
        masks=[MaskRule(r'(?P<id>[^/]+?)_label\.nii\.gz$',
                        NonZero('chamber'))],
        key=('id', ),
        group='{patient}'),
    categories=('chamber', ),
    orientation='rot180',
    unverified=('the leading number of the file name is the patient', ),
    changes=('split by patient (rest and Valsalva clips together)', )))

register(DatasetSpec(
    name='EchoNet-Dynamic',
    anatomy=ANATOMY,
    url='https://echonet.github.io/dynamic/',
    licence='Stanford research-use agreement (unverified)',
    download='EchoNet-Dynamic.zip (Videos/*.avi, VolumeTracings.csv, '
    'FileList.csv)',
    layout=VideoTracings(
        videos=r'Videos/(?P<video>[^/]+)\.avi$',
        tracings=r'VolumeTracings\.csv$',
        style='dynamic',
        name='left_ventricle',
        key=('video', ),
        tables=[Table(r'FileList\.csv$', columns={'Split': 'split'},
                      row=r'^(?P<video>[^.]+)', row_column='FileName')],
        part='split',
        parts={'TRAIN': 'train', 'VAL': 'val', 'TEST': 'test'}),
    categories=('left_ventricle', ),
    changes=('the official FileList.csv TRAIN / VAL / TEST split is used', )))

register(DatasetSpec(
    name='EchoNet-Pediatric',
    anatomy=ANATOMY,
    url='https://echonet.github.io/pediatric/',
    licence='Stanford research-use agreement (unverified)',
    download='pediatric_echo_avi/{A4C,PSAX}/Videos/*.avi and '
    '{A4C,PSAX}/VolumeTracings.csv',
    layout=VideoTracings(
        videos=r'(?P<view>A4C|PSAX)/Videos/(?P<video>[^/]+)\.avi$',
        tracings=r'(?P<view>A4C|PSAX)/VolumeTracings\.csv$',
        style='points',
        name='left_ventricle',
        frame_base=1,
        key=('view', 'video'),
        group='{video}'),
    categories=('left_ventricle', ),
    unverified=('Frame is 1-based (the original converter subtracts 1; the '
                'EchoNet-Dynamic one does not)', ),
    changes=('split by video; FileList.csv folds are cross-validation '
             'folds, not a test set', )))
