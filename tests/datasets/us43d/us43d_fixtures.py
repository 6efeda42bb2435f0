"""Synthetic raw datasets in the real layouts of the 43 US-43d sources.

Each factory writes ``RAW/<NAME>/`` as a user would download it (archives,
nested archives, extracted folders), with tiny images and the dataset's
awkward cases, and returns what a correct build must produce. Images are
seeded noise (distinct per image unless a case needs identical ones); every
structure is made of separate rectangles, so its instance count is known.
"""
import gzip
import io
import json
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

SIZE = 32
_RNG_STATE = {'n': 0}


@dataclass
class Expect:
    """What building one fixture dataset must give.

    Args:
        images (int): Output images over all splits.
        structures (dict[str, int]): Instances per structure (after the
            small-object filter).
        test_images (int, optional): Images of the official test part.
        val_images (int, optional): Images of the official val part.
        skips (dict[str, int]): Skip reasons (substring) and counts.
        unexpected (tuple[str]): Values reported as outside the spec.
        small_removed (int): Instances removed by the small-object filter.
    """
    images: int
    structures: Dict[str, int]
    test_images: Optional[int] = None
    val_images: Optional[int] = None
    skips: Dict[str, int] = field(default_factory=dict)
    unexpected: Tuple[str, ...] = ()
    small_removed: int = 0


# encoders ------------------------------------------------------------------
def noise(shape=(SIZE, SIZE), dtype=np.uint8, high=200) -> np.ndarray:
    """A distinct seeded noise image (values >= 30, so never 0)."""
    _RNG_STATE['n'] += 1
    rng = np.random.default_rng(_RNG_STATE['n'])
    return rng.integers(30, high, shape).astype(dtype)


def rects(boxes: Sequence[Tuple[int, int, int, int]], value=255,
          shape=(SIZE, SIZE), dtype=np.uint8) -> np.ndarray:
    """A mask with ``value`` in each ``(y, x, h, w)`` box."""
    mask = np.zeros(shape, dtype)
    for y, x, h, w in boxes:
        mask[y:y + h, x:x + w] = value
    return mask


TWO = [(2, 2, 6, 6), (16, 16, 8, 8)]  # two instances
ONE = [(10, 10, 8, 8)]


def encode(array: np.ndarray, ext: str, quality: int = 100) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == '.jpg' else []
    ok, data = cv2.imencode(ext, array, params)
    assert ok
    return data.tobytes()


def png(array):
    return encode(array, '.png')


def jpg(array):
    return encode(array, '.jpg')


def nifti(array: np.ndarray, compress: bool = True) -> bytes:
    """NIfTI-1 bytes of a (.., z, y, x) array (stored x fastest)."""
    dtypes = {np.uint8: 2, np.int16: 4, np.float32: 16, np.uint16: 512}
    code = dtypes[array.dtype.type]
    dims = list(reversed(array.shape))
    header = bytearray(348)
    struct.pack_into('<i', header, 0, 348)
    struct.pack_into('<8h', header, 40, len(dims), *(dims + [1] * (7 - len(
        dims))))
    struct.pack_into('<hh', header, 70, code, array.dtype.itemsize * 8)
    struct.pack_into('<f', header, 108, 352.)
    struct.pack_into('<ff', header, 112, 1., 0.)
    header[344:348] = b'n+1\0'
    data = bytes(header) + b'\0' * 4 + np.ascontiguousarray(
        array, array.dtype.newbyteorder('<')).tobytes()
    return gzip.compress(data, mtime=0) if compress else data


def metaimage(array: np.ndarray, compress: bool = False,
              channels: int = 1) -> bytes:
    """MetaImage (.mha) bytes of a (z, y, x) or (y, x[, c]) array."""
    types = {np.uint8: 'MET_UCHAR', np.int16: 'MET_SHORT'}
    spatial = array.shape[:-1] if channels > 1 else array.shape
    data = np.ascontiguousarray(array).tobytes()
    if compress:
        data = zlib.compress(data)
    lines = [
        'ObjectType = Image', f'NDims = {len(spatial)}',
        'BinaryData = True', 'BinaryDataByteOrderMSB = False',
        f'CompressedData = {compress}',
        'DimSize = ' + ' '.join(map(str, reversed(spatial))),
        f'ElementNumberOfChannels = {channels}',
        f'ElementType = {types[array.dtype.type]}', 'ElementDataFile = LOCAL'
    ]
    return ('\n'.join(lines) + '\n').encode() + data


def npy(obj) -> bytes:
    stream = io.BytesIO()
    np.save(stream, obj, allow_pickle=True)
    return stream.getvalue()


def zip_bytes(members: Dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, 'w', zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


def tar_bytes(members: Dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode='w:gz') as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return stream.getvalue()


def write(root: Path, files: Dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def video(path: Path, frames: List[np.ndarray], fourcc: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10,
                             (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()


def colour(boxes_by_rgb: Dict[Tuple[int, int, int], list]) -> np.ndarray:
    """A BGR colour mask with RGB colours in boxes."""
    mask = np.zeros((SIZE, SIZE, 3), np.uint8)
    for rgb, boxes in boxes_by_rgb.items():
        for y, x, h, w in boxes:
            mask[y:y + h, x:x + w] = rgb[::-1]
    return mask


# factories -------------------------------------------------------------------
Factory = Callable[[Path], Dict[str, Expect]]
FACTORIES: List[Factory] = []


def factory(fn: Factory) -> Factory:
    FACTORIES.append(fn)
    return fn


@factory
def us105(raw):
    mask1 = rects(TWO)
    mask1[28:30, 0:4] = 128  # anti-aliased grey: reported, not decoded
    write(raw / '105US', {
        'images/1.png': png(noise()),
        'images/2.png': png(noise()),
        'images/012.png': png(noise()),
        'Masks/1 mask.png': png(mask1),
        'Masks/2 mask.png': png(rects([])),
        'Masks/12.png': png(rects(ONE)),
    })
    return {'105US': Expect(2, {'tumor': 3}, skips={'empty mask': 1},
                            unexpected=('128', ))}


@factory
def abdomen_us(raw):
    files = {}
    base = 'abdominal_US'
    files[f'{base}/RUS/images/train/a.png'] = png(noise())
    files[f'{base}/RUS/annotations/train/a.png'] = png(
        colour({(255, 255, 0): ONE, (255, 0, 0): [(24, 2, 6, 6)]}))
    files[f'{base}/RUS/images/test/a.png'] = png(noise())
    off_palette = colour({(100, 0, 100): TWO})
    off_palette[30, 30] = (7, 8, 9)
    files[f'{base}/RUS/annotations/test/a.png'] = png(off_palette)
    files[f'{base}/RUS/images/test/b.jpg'] = jpg(noise())
    files[f'{base}/RUS/annotations/test/b.png'] = png(
        colour({(0, 255, 255): ONE}))
    files[f'{base}/AUS/images/train/c.png'] = png(noise())
    files[f'{base}/AUS/annotations/train/c.png'] = png(colour({}))
    write(raw / 'AbdomenUS', {'AbdomenUS.zip': zip_bytes(files)})
    return {'AbdomenUS': Expect(3, {'kidney': 1, 'vessels': 1, 'liver': 2,
                                    'adrenals': 1},
                                test_images=2, skips={'simulated': 2},
                                unexpected=('(9, 8, 7)', ))}


@factory
def acouslic(raw):
    files = {}
    for uuid, compress in (('1f0c', True), ('2a7e', False)):
        image = noise((4, 24, 24))
        label = np.zeros((4, 24, 24), np.uint8)
        label[1, 2:10, 2:10] = 1
        label[2, 12:20, 12:20] = 2
        files[f'images/stacked_fetal_ultrasound/{uuid}.mha'] = metaimage(
            image, compress)
        files[f'masks/stacked_fetal_abdomen/{uuid}.mha'] = metaimage(
            label, compress)
    files['circumferences/fetal_abdominal_circumferences_per_sweep.csv'] = (
        b'uuid,sweep_1_ac_mm\n')
    write(raw / 'ACOUSLIC', files)
    return {'ACOUSLIC': Expect(4, {'abdomen': 4})}


@factory
def asus(raw):
    inner = {}
    for vol in ('v1', 'v2', 'v3'):
        image = np.random.default_rng(len(vol) + ord(vol[1])).random(
            (3, 24, 24, 1)).astype(np.float32)
        seg = np.zeros((3, 24, 24, 1), np.uint8)
        seg[1, 2:10, 2:6] = 1  # top-left, tall: moves under the 180 turn
        seg[2, 12:20, 12:20] = 1
        inner[f'DataArrays/{vol}_image.npy'] = npy(image)
        inner[f'DataArrays/{vol}_segmentation.npy'] = npy(seg)
    write(raw / 'ASUS', {
        'ASUS.tar.gz': tar_bytes({'ASUS/DataArrays.zip': zip_bytes(inner)})
    })
    return {'ASUS': Expect(6, {'spine': 6})}


@factory
def aul(raw):

    def points(y, x, h, w):
        return json.dumps([[x, y], [x + w, y], [x + w, y + h],
                           [x, y + h]]).encode()

    classes = {
        'Benign': {
            'Benign/image/1.jpg': jpg(noise()),
            'Benign/segmentation/liver/1.json': points(2, 2, 12, 12),
            'Benign/segmentation/mass/1.json': points(20, 20, 8, 8),
            'Benign/segmentation/outline/1.json': points(0, 0, 31, 31),
        },
        'Malignant': {
            'Malignant/image/229.jpg': jpg(noise()),
            'Malignant/segmentation/liver/229.json': points(0, 0, 31, 31),
            'Malignant/segmentation/mass/229.json': points(4, 4, 8, 8),
        },
        'Normal': {
            'Normal/image/5.jpg': jpg(noise()),
            'Normal/segmentation/liver/5.json': points(4, 4, 20, 20),
        },
    }
    write(raw / 'AUL', {
        'AUL.zip': zip_bytes({f'{c}.zip': zip_bytes(m)
                              for c, m in classes.items()})
    })
    return {'AUL': Expect(3, {'liver': 2, 'mass': 2},
                          skips={'scan outline': 2})}


@factory
def brachial_plexus(raw):
    root = raw / 'brachial plexus' / 'data'
    frames = [noise() for _ in range(6)]
    video(root / 'Sonosite/videos/s005.mp4', frames, 'mp4v')
    video(root / 'Butterfly/videos/b240.mp4', frames[:3], 'mp4v')
    video(root / 'Butterfly/videos/P_021_09.mp4', frames[:2], 'mp4v')
    write(root, {
        'Sonosite/ac_masks/s005/s005_000.jpg': jpg(rects(TWO)),
        'Sonosite/ac_masks/s005/s005_002.jpg': jpg(rects(ONE)),
        'Sonosite/needle/needle_masks/s005/s005_002.jpg': jpg(
            rects([(0, 0, 4, 30)])),
        'Sonosite/needle/needle_masks/s005/s005_004.jpg': jpg(
            rects([(28, 0, 4, 30)])),
        'Sonosite/needle/needle_masks/s005/s005_009.jpg': jpg(rects(ONE)),
        'Butterfly/ac_masks/b240/b240_001.jpg': jpg(rects(ONE)),
        'Butterfly/P_021_09_masks/P_021_09_000.jpg': jpg(rects(TWO)),
        'Sonosite/bb_annotations/s005.txt': b'1 2 3 4\n',
    })
    return {'brachial plexus': Expect(
        5, {'nerve_plexus': 6, 'needle': 2},
        skips={'mask of a frame the video does not have': 1})}


@factory
def breast_lesions(raw):
    base = 'BrEaST-Lesions_USG-images_and_masks'
    files = {
        f'{base}/case001.png': png(noise()),
        f'{base}/case001_tumor.png': png(rects(ONE)),
        f'{base}/case001_other1.png': png(rects([(0, 0, 6, 6)])),
        f'{base}/case002.png': png(noise()),
        f'{base}/case002_tumor.png': png(rects(TWO)),
        f'{base}/case003.png': png(noise()),
    }
    write(raw / 'BrEaST', {
        'BrEaST-Lesions_USG-images_and_masks-Dec-15-2023.zip':
        zip_bytes(files)
    })
    return {'BrEaST': Expect(2, {'tumor': 3, 'other_finding': 1},
                             skips={'image without a mask': 1})}


@factory
def buid(raw):
    write(raw / 'BUID', {
        'Benign/1 Benign Image.bmp': encode(noise((SIZE, SIZE, 3)), '.bmp'),
        'Benign/1 Benign Mask.tif': encode(rects(TWO), '.tif'),
        'Malignant/2 Malignant Image.bmp': encode(noise(), '.bmp'),
        'Malignant/2 Malignant Mask.tif': encode(
            rects(ONE, shape=(20, 20)), '.tif'),
    })
    return {'BUID': Expect(1, {'breast_nodule': 2},
                           skips={'mask size differs': 1})}


@factory
def bus_uc(raw):
    files = {}
    for folder in ('All', 'Benign'):
        files[f'BUS_UC/BUS_UC/{folder}/images/1.png'] = png(noise())
        files[f'BUS_UC/BUS_UC/{folder}/masks/1.png'] = png(rects(ONE))
    files['BUS_UC/BUS_UC/Malignant/images/1.png'] = png(noise())
    files['BUS_UC/BUS_UC/Malignant/masks/1.png'] = png(
        rects([(4, 4, 16, 16), (40, 40, 16, 16)], shape=(64, 64)))
    files['BUS_UC/BUS_UC/Malignant/images/2.png'] = png(noise())
    files['BUS_UC/BUS_UC/Malignant/masks/2.png'] = png(rects([]))
    write(raw / 'BUS_UC', {'BUS_UC.zip': zip_bytes(files)})
    return {'BUS_UC': Expect(2, {'breast_benign': 1, 'breast_malignant': 2},
                             skips={'All folder': 2, 'empty mask': 1})}


@factory
def bus_uclm(raw):
    files = {
        'BUS-UCLM/images/alwi_000.png': png(noise((SIZE, SIZE, 3))),
        'BUS-UCLM/masks/alwi_000.png': png(colour({(0, 255, 0): TWO})),
        'BUS-UCLM/images/alwi_001.png': png(noise((SIZE, SIZE, 3))),
        'BUS-UCLM/masks/alwi_001.png': png(colour({})),
        'BUS-UCLM/images/bena_000.png': png(noise((SIZE, SIZE, 3))),
        'BUS-UCLM/masks/bena_000.png': png(colour({(255, 0, 0): ONE})),
        'BUS-UCLM/INFO.csv': b'Image;Label\nalwi_000.png;Benign\n',
    }
    write(raw / 'BUS_UCML', {'BUS-UCLM.zip': zip_bytes(files)})
    return {'BUS_UCML': Expect(2, {'benign_breast_lesion': 2,
                                   'malignant_breast_lesion': 1},
                               skips={'empty mask': 1})}


@factory
def bus_bra(raw):
    files = {}
    for name, boxes in (('0001-l', ONE), ('0001-r', TWO), ('0002-l', ONE),
                        ('0003-s', ONE), ('0004-l', ONE), ('0005-l', TWO)):
        files[f'BUSBRA/Images/bus_{name}.png'] = png(noise())
        files[f'BUSBRA/Masks/mask_{name}.png'] = png(rects(boxes))
    files['BUSBRA/5-fold-cv.csv'] = (
        b'ID,Pathology,BIRADS,kFold\nbus_0001-l,benign,3,1\n'
        b'bus_0001-r,benign,3,1\nbus_0002-l,malignant,5,2\n'
        b'bus_0004-l,benign,2,3\nbus_0005-l,malignant,4,4\n')
    write(raw / 'BUS-BRA', {'BUSBRA.zip': zip_bytes(files)})
    return {'BUS-BRA': Expect(5, {'breast_nodule_benign': 4,
                                  'breast_nodule_malignant': 3},
                              test_images=2,
                              skips={'no row in the table': 1})}


@factory
def bus(raw):
    files = {
        'BUS/original/000001.png': png(noise()),
        'BUS/GT/000001.png': png(rects(TWO)),
        'BUS/original/000002.png': png(noise()),
        'BUS/GT/000002.png': png(rects([])),
        'BUS/original/000003.png': b'not a png at all',
        'BUS/GT/000003.png': png(rects(ONE)),
    }
    write(raw / 'BUS', {'BUS.zip': zip_bytes(files)})
    return {'BUS': Expect(2, {'breast_nodule': 2},
                          skips={'unreadable file': 1})}


@factory
def busi(raw):
    base = 'Dataset_BUSI_with_GT'
    twin = noise()
    files = {
        f'{base}/benign/benign (1).png': png(noise()),
        f'{base}/benign/benign (1)_mask.png': png(rects(ONE)),
        f'{base}/benign/benign (1)_mask_1.png': png(rects([(0, 0, 6, 6)])),
        f'{base}/benign/benign (2).png': png(twin),
        f'{base}/benign/benign (2)_mask.png': png(rects(ONE)),
        f'{base}/malignant/malignant (1).png': png(twin),
        f'{base}/malignant/malignant (1)_mask.png': png(rects(ONE)),
        f'{base}/benign/benign (3).png': png(noise()),
        f'{base}/benign/benign (3)_mask.png': png(rects(ONE)),
        f'{base}/normal/normal (1).png': png(noise()),
        f'{base}/normal/normal (1)_mask.png': png(rects([])),
    }
    write(raw / 'BUSI', {'BUSI.zip': zip_bytes(files)})
    return {'BUSI': Expect(4, {'breast_nodule': 5}, skips={'normal image': 2})}


@factory
def camus(raw):
    files = {}
    for patient, views in (('patient0001', ('2CH', '4CH')),
                           ('patient0002', ('2CH', ))):
        for view in views:
            image = noise((3, 24, 24))
            image[:, :, 20:] = 0  # outside the field of view
            label = np.zeros((3, 24, 24), np.uint8)
            label[0] = rects([(4, 4, 10, 10)], 2, (24, 24))
            label[0, 6:12, 6:12] = 1  # cavity inside the myocardium ring
            label[1] = rects([(4, 16, 8, 8)], 3, (24, 24))  # half outside
            stem = f'database_nifti/{patient}/{patient}_{view}_half_sequence'
            files[f'{stem}.nii.gz'] = nifti(image)
            files[f'{stem}_gt.nii.gz'] = nifti(label)
            files[f'database_nifti/{patient}/{patient}_{view}_ED.nii.gz'] = (
                nifti(image[0]))
    write(raw / 'CAMUS', {'CAMUS_public.zip': zip_bytes(files)})
    return {'CAMUS': Expect(9, {'left_ventricle': 3, 'myocardium': 3,
                                'left_atrium': 3})}


@factory
def cardiac_udc(raw):
    inner = {}
    for site, patient in (('Site_G_20', '12'), ('Site_R_52', '7')):
        image = noise((3, 24, 24))
        label = np.zeros((3, 24, 24), np.uint8)
        cv2.rectangle(label[0], (2, 2), (12, 12), 1, 1)  # contour only
        label[1] = rects([(14, 14, 6, 6)], 4, (24, 24))
        inner[f'cardiacUDC_dataset/{site}/{patient}_image.nii.gz'] = nifti(
            image)
        inner[f'cardiacUDC_dataset/{site}/{patient}_label.nii.gz'] = nifti(
            label)
    write(raw / 'CardiacUDC', {
        'cardiacUDC.zip': zip_bytes(
            {'cardiacUDC_dataset.change2zip': zip_bytes(inner)})
    })
    return {'CardiacUDC': Expect(4, {'left_ventricle': 2,
                                     'right_ventricle': 2})}


@factory
def ccaui(raw):
    base = 'Common Carotid Artery Ultrasound Images'
    files = {}
    for subject in ('202201121748100022VAS', '202202071359530054VAS'):
        for index in (1, 2):
            name = f'{subject}_slice_{index}.png'
            files[f'{base}/US images/{name}'] = png(noise())
            files[f'{base}/Expert mask images/{name}'] = png(rects(ONE))
    write(raw / 'CCAUI', {f'{base}.zip': zip_bytes(files)})
    return {'CCAUI': Expect(4, {'carotid_artery': 4})}


@factory
def thyroid_bundle(raw):
    base = 'Thyroid Dataset'
    files = {}
    for split, numbers in (('trainval', ('0001', '0002', '0003')),
                           ('test', ('0001', ))):
        for n in numbers:
            files[f'{base}/tn3k/{split}-image/{n}.jpg'] = jpg(noise())
            files[f'{base}/tn3k/{split}-mask/{n}.jpg'] = jpg(rects(ONE))
    for n in ('0001', '0002', '0150', '0151'):
        files[f'{base}/tg3k/thyroid-image/{n}.jpg'] = jpg(noise())
        files[f'{base}/tg3k/thyroid-mask/{n}.jpg'] = jpg(rects(TWO))
    ddti = {}
    for n in ('1', '2'):
        ddti[f'2_preprocessed_data/stage1/p_image/{n}.PNG'] = png(noise())
        mask = rects(ONE)
        mask[0:2, 0:2] = 100
        ddti[f'2_preprocessed_data/stage1/p_mask/{n}.PNG'] = png(mask)
    files[f'{base}/DDTI dataset/DDTI.zip'] = zip_bytes(ddti)
    write(raw / 'TN3K', {'TN3K.zip': zip_bytes(files)})
    return {
        'TN3K': Expect(4, {'thyroid_nodule': 4}, test_images=1),
        'TG3K': Expect(4, {'thyroid_gland': 8}),
        'DDTI': Expect(2, {'thyroid_nodule': 2}, unexpected=('100', )),
    }


@factory
def echocp(raw):
    files = {}
    for key in ('12_r', '12_v', '15_r'):
        label = np.zeros((3, 24, 24), np.uint8)
        label[0] = rects([(2, 2, 6, 6)], 1, (24, 24))
        label[2] = rects([(12, 12, 6, 6)], 2, (24, 24))
        files[f'EchoCP_dataset/{key}_image.nii.gz'] = nifti(noise((3, 24, 24)))
        files[f'EchoCP_dataset/{key}_label.nii.gz'] = nifti(label)
    write(raw / 'EchoCP', files)
    return {'EchoCP': Expect(6, {'chamber': 6})}


def _echonet_videos(root: Path, names: Sequence[str], count: int) -> None:
    for name in names:
        video(root / f'{name}.avi', [noise() for _ in range(count)], 'MJPG')


@factory
def echonet_dynamic(raw):
    staging = raw / '.staging'  # videos are zipped as distributed
    _echonet_videos(staging, ('0X1A', '0X2B', '0X3C'), 8)
    files = {f'EchoNet-Dynamic/Videos/{p.name}': p.read_bytes()
             for p in sorted(staging.iterdir())}
    shutil.rmtree(staging)
    rows = ['FileName,X1,Y1,X2,Y2,Frame']
    for name, frame in (('0X1A', 2), ('0X1A', 5), ('0X2B', 3), ('0X3C', 20)):
        rows.append(f'{name}.avi,16,2,16,30,{frame}')  # long axis: dropped
        for y in range(4, 24, 4):
            rows.append(f'{name}.avi,8,{y},24,{y},{frame}')
    files['EchoNet-Dynamic/VolumeTracings.csv'] = '\n'.join(rows).encode()
    files['EchoNet-Dynamic/FileList.csv'] = (
        b'FileName,EF,Split\n0X1A,60,TRAIN\n0X2B,55,TEST\n0X3C,50,VAL\n')
    write(raw / 'EchoNet-Dynamic', {'EchoNet-Dynamic.zip': zip_bytes(files)})
    return {'EchoNet-Dynamic': Expect(3, {'left_ventricle': 3},
                                      test_images=1, val_images=0,
                                      skips={'not in the video': 1})}


@factory
def echonet_pediatric(raw):
    root = raw / 'EchoNet-Pediatric' / 'pediatric_echo_avi' / (
        'pediatric_echo_avi')
    files = {}
    for view, frame in (('A4C', 1), ('PSAX', 3)):
        _echonet_videos(root / view / 'Videos', ('CR32a',), 5)
        rows = ['FileName,X,Y,Frame', 'CR32a.avi,1,1,No Systolic']
        rows += [f'CR32a.avi,{x},{y},{frame}'
                 for x, y in ((4, 4), (20, 4), (20, 20), (4, 20))]
        files[f'{view}/VolumeTracings.csv'] = '\n'.join(rows).encode()
    write(root, files)
    return {'EchoNet-Pediatric': Expect(2, {'left_ventricle': 2},
                                        skips={'without a frame number': 2})}


@factory
def fallmud(raw):
    files = {
        'FALLMUD/NeilCronin/images/a.jpg': jpg(noise((SIZE, SIZE, 3))),
        'FALLMUD/NeilCronin/aponeurosis_masks/a.png': png(
            rects([(2, 0, 3, 32), (26, 0, 3, 32)])),
        'FALLMUD/NeilCronin/fascicle_masks/a.png': png(
            rects([(10, 4, 2, 20)])),
        'FALLMUD/RyanCunningham/images/b.jpg': jpg(noise((32, 24, 3))),
        'FALLMUD/RyanCunningham/aponeurosis_masks/b.png': png(
            rects([(2, 0, 3, 32)], shape=(24, 32))),
    }
    write(raw / 'FALLMUD', {'FALLMUD.zip': zip_bytes(files)})
    return {'FALLMUD': Expect(2, {'aponeurosis': 3, 'fascicle': 1})}


@factory
def fass(raw):
    name = ('Fetal Abdominal Structures Segmentation Dataset Using '
            'Ultrasonic Images')
    inner = {
        'IMAGES/P001.png': png(noise()),
        'ARRAY_FORMAT/P001.npy': npy({
            'structures': {
                'artery': rects(ONE, 1),
                'liver': rects(TWO, 1),
                'spleen': rects(ONE, 1)
            }
        }),
        'IMAGES/P002.png': png(noise()),
        'ARRAY_FORMAT/P002.npy': npy({'structures': {'vein': rects(ONE, 1)}}),
    }
    write(raw / 'FASS', {
        'FASS.zip': zip_bytes({f'{name}/{name}.zip': zip_bytes(inner)})
    })
    return {'FASS': Expect(2, {'artery': 1, 'liver': 2, 'vein': 1},
                           unexpected=("structure 'spleen'", ))}


@factory
def fast_u_net(raw):
    mask = rects(ONE)
    mask[9, 9:19] = 120  # anti-aliased edge, thresholded at 128
    write(raw / 'Fast-U-Net' / 'Dataset', {
        'AC/AC_image1/0001.png': png(noise()),
        'AC/AC_image1/0002.png': png(noise()),
        'AC/AC_image1/0003.png': png(noise()),
        'AC/AC_mask/0001.png': png(mask),
        'AC/AC_mask/0002.png': png(rects(ONE)),
        'AC/AC_mask/0003.png': png(rects(ONE)),
        'AC/AC_image2.rar': b'Rar!\x1a\x07\x00',
        'AC/train.txt': b'0001.png\n0003.png\n',
        'AC/val.txt': b'0002.png\n',
        'HC/HC_image1/514_HC.png': png(noise()),
        'HC/HC_mask/514_HC_Annotation.png': png(rects(ONE)),
    })
    return {'Fast-U-Net': Expect(3, {'fetal_abdomen': 3}, test_images=1,
                                 skips={'duplicates the HC': 2})}


@factory
def fh_ps_aop(raw):
    inner = {}
    for stem in ('00001', '00002'):
        label = rects([(2, 2, 8, 8)], 1, (24, 24)) + rects(
            [(12, 12, 10, 10)], 2, (24, 24))
        inner[f'image_mha/{stem}.mha'] = metaimage(noise((3, 24, 24)))
        inner[f'label_mha/{stem}.mha'] = metaimage(label)
    name = 'Pubic Symphysis-Fetal Head Segmentation and Angle of Progression'
    write(raw / 'FH-PS-AOP', {
        'FH-PS-AOP.zip': zip_bytes({f'{name}.zip': zip_bytes(inner)})
    })
    return {'FH-PS-AOP': Expect(2, {'pubic_symphysis': 2, 'fetal_head': 2})}


@factory
def gist514(raw):

    def coco(images, anns):
        return json.dumps(dict(
            images=[dict(id=i, file_name=n, height=SIZE, width=SIZE)
                    for i, n in enumerate(images, 1)],
            annotations=anns,
            categories=[dict(id=1, name='lmym'), dict(id=2, name='GIST')]
        )).encode()

    square = [2, 2, 12, 2, 12, 12, 2, 12]
    far = [20, 20, 28, 20, 28, 28, 20, 28]
    files = {
        'usd514_jpeg_roi/images/1.jpg': jpg(noise()),
        'usd514_jpeg_roi/images/2.jpg': jpg(noise()),
        'usd514_jpeg_roi/images/3.jpg': jpg(noise()),
        'usd514_jpeg_roi/images/4.jpg': jpg(noise()),
        'usd514_jpeg_roi/annotations/train_anno_crop_split_0.json': coco(
            ['1.jpg', '2.jpg'],
            [dict(image_id=1, category_id=1, segmentation=[square, far]),
             dict(image_id=2, category_id=2, segmentation=[square])]),
        'usd514_jpeg_roi/annotations/val_anno_crop_split_0.json': coco(
            ['3.jpg'], [dict(image_id=1, category_id=2,
                             segmentation=[far])]),
        'usd514_jpeg_roi/annotations/train_anno_crop_split_1.json': coco(
            ['3.jpg'], []),
    }
    write(raw / 'GIST514-DB', {'GIST514-DB.zip': zip_bytes(files)})
    return {'GIST514-DB': Expect(3, {'lmym': 2, 'GIST': 2}, test_images=1,
                                 skips={'image not in the COCO files': 1})}


@factory
def hc18(raw):
    inner = {}
    for stem in ('010_HC', '010_2HC', '011_HC'):
        contour = np.zeros((SIZE, SIZE), np.uint8)
        cv2.ellipse(contour, (16, 16), (10, 7), 0, 0, 360, 255, 1)
        inner[f'training_set/{stem}.png'] = png(noise())
        inner[f'training_set/{stem}_Annotation.png'] = png(contour)
    inner['training_set/012_HC.png'] = png(noise())  # annotation missing
    write(raw / 'HC', {
        'HC.zip': zip_bytes({'training_set.zip': zip_bytes(inner)})
    })
    return {'HC': Expect(3, {'fetal_head': 3},
                         skips={'image without a mask': 1})}


@factory
def kidney_us(raw):
    names = ('1_IM-0001-0059_anon', '1_IM-0002-0001_anon',
             '2_IM-0001-0030_anon')
    write(raw / 'kidneyUS', {
        'kidneyUS_images_14_june_2022.zip': zip_bytes(
            {f'images/{n}.png': png(noise()) for n in names}),
        **{f'labels/reviewed_masks_1/capsule/{n}.png': png(rects(ONE, 1))
           for n in names},
        f'labels/reviewed_masks_2/capsule/{names[0]}.png': png(rects(ONE, 1)),
        f'labels/reviewed_masks_1/regions/{names[0]}.png': png(
            rects(ONE, 2)),
    })
    return {'kidneyUS': Expect(3, {'kidney': 3},
                               skips={'second annotator': 1})}


@factory
def luss_phantom(raw):
    label = rects([(1, 1, 5, 5)], 1) + rects([(8, 1, 5, 30)], 2) + rects(
        [(16, 1, 4, 6)], 3) + rects([(22, 10, 9, 4)], 4) + rects(
            [(22, 20, 9, 8)], 5)
    label[0, 31] = 7
    files = {
        'LUSS_phantom/images/f1.png': png(noise()),
        'LUSS_phantom/masks/f1.png': png(label),
        'LUSS_phantom/mr_images/f1.png': png(noise()),
    }
    write(raw / 'LUSS_phantom', {'LUSS_phantom.zip': zip_bytes(files)})
    return {'LUSS_phantom': Expect(1, {'rib': 1, 'pleural_line': 1,
                                       'A_line': 1, 'B_line': 1,
                                       'B_line_confluence': 1},
                                   skips={'MR data': 1}, unexpected=('7', ))}


@factory
def micro_prostate(raw):
    base = 'Micro_Ultrasound_Prostate_Segmentation_Dataset'
    inner = {}
    for split, n in (('train', '01'), ('train', '02'), ('train', '03'),
                     ('test', '01')):
        label = np.zeros((4, 24, 24), np.uint8)
        label[1] = rects([(2, 2, 8, 8)], 1, (24, 24))
        label[2] = rects([(12, 12, 8, 8)], 1, (24, 24))
        inner[f'{base}/{split}/micro_ultrasound_scans/microUS_{split}_{n}'
              '.nii.gz'] = nifti(noise((4, 24, 24)))
        inner[f'{base}/{split}/expert_annotations/expert_annotation_{split}_'
              f'{n}.nii.gz'] = nifti(label)
        inner[f'{base}/{split}/non_expert_annotations/nonexpert_annotation_'
              f'{split}_{n}.nii.gz'] = nifti(np.ones((4, 24, 24), np.uint8))
    write(raw / 'MicroSeg', {
        'MicroSeg.zip': zip_bytes({f'{base}.zip': zip_bytes(inner)})
    })
    return {
        'MicroSeg': Expect(8, {'prostate': 8}, test_images=2),
        'MUP': Expect(16, {'prostate': 8}, test_images=4),
    }


def _otu(raw: Path, name: str, lists: Dict[str, str]) -> None:
    base = 'OTU_2d' if name == 'MMOTU-2D' else 'OTU_3d'
    files = {}
    for n in ('1', '2', '3', '4'):
        files[f'{base}/images/{n}.JPG'] = jpg(noise((SIZE, SIZE, 3)))
        files[f'{base}/annotations/{n}.PNG'] = png(
            colour({(128, 0, 0): ONE, (0, 128, 0): [(0, 0, 3, 3)]}))
        files[f'{base}/annotations/{n}_binary.PNG'] = png(rects(ONE))
    for list_name, text in lists.items():
        files[f'{base}/{list_name}'] = text.encode()
    archive = 'MMOTU_2d.zip' if name == 'MMOTU-2D' else 'MMOTU_3d.zip'
    write(raw / name, {archive: zip_bytes(files)})


@factory
def mmotu_2d(raw):
    _otu(raw, 'MMOTU-2D', {'train_cls.txt': '1.JPG 0\n2.JPG 3\n',
                           'val_cls.txt': '3.JPG 7\n'})
    return {'MMOTU-2D': Expect(3, {'chocolate_cyst': 1,
                                   'theca_cell_tumor': 1,
                                   'high_grade_serous': 1},
                               test_images=1,
                               small_removed=3,
                               skips={'no row in the table': 1})}


@factory
def mmotu_3d(raw):
    _otu(raw, 'MMOTU-3D', {})
    return {'MMOTU-3D': Expect(4, {'lesion': 4}, small_removed=4)}


@factory
def regpro(raw):
    zips = {}
    for split, case in (('train', 'case000001'), ('val', 'case000002')):
        image = np.random.default_rng(7).integers(0, 1000, (3, 24, 5)).astype(
            np.int16)
        label = np.zeros((2, 3, 24, 5), np.uint8)
        label[0, :, 2:20, 1:3] = 1  # gland over x = 1, 2
        label[1, 1, 4:9, 4] = 1  # landmark at x = 4 (5 px: small)
        label[1, 0:3, 12:20, 4] = 1  # landmark at x = 4
        zips[f'{split}.zip'] = zip_bytes({
            f'{split}/us_images/{case}.nii.gz': nifti(image),
            f'{split}/us_labels/{case}.nii.gz': nifti(label),
            f'{split}/mr_images/{case}.nii.gz': nifti(image),
        })
    write(raw / 'regPro', {'regPro.zip': zip_bytes(zips)})
    return {'regPro': Expect(6, {'prostate_gland': 4,
                                 'anatomical_landmark': 2},
                             test_images=3, small_removed=2)}


@factory
def s1(raw):
    label = rects(ONE, 127) + rects([(24, 24, 6, 6)], 255)
    files = {}
    for split in ('TrainingDataSet', 'TestingDataSet'):
        files[f'Data/{split}/Images/a.png'] = png(noise())
        files[f'Data/{split}/Labels/a.png'] = png(label)
    files['Data/TrainingDataSet/General/a.png'] = png(noise())
    write(raw / 'S1', {'S1.zip': zip_bytes(files)})
    return {'S1': Expect(2, {'benign_tumour': 2, 'malignant_tumour': 2},
                         test_images=1, skips={'General folder': 1})}


@factory
def segthy(raw):
    files = {}
    for stem in ('001_P1_1_left', '001_P1_1_right', '002_P2_1_left'):
        label = np.zeros((3, 24, 24), np.uint8)
        label[0] = rects([(2, 2, 10, 10)], 1, (24, 24))
        label[1] = rects([(2, 2, 10, 10)], 1, (24, 24)) + rects(
            [(14, 14, 6, 6)], 2, (24, 24))
        files[f'ground_truth_data/US/{stem}_US.nii'] = nifti(
            noise((3, 24, 24)), compress=False)
        files[f'ground_truth_data/US_thyroid_label/{stem}.nii'] = nifti(
            label, compress=False)
    files['ground_truth_data/MRI/001_P1_1_left_MRI.nii'] = nifti(
        noise((3, 24, 24)), compress=False)
    write(raw / 'Segthy', files)
    return {'Segthy': Expect(6, {'thyroid': 6, 'carotid_artery': 3})}


@factory
def stmus(raw):
    inner = {}
    for muscle, status in (('BB', 'Healthy'), ('GM', 'Pathological')):
        base = f'Polito-Radboud-DeepLearningUS/{muscle}/{status}'
        inner[f'{base}/Images/1.png'] = png(noise())
        inner[f'{base}/Masks/1.png'] = png(rects(ONE))
    outer = ('DATASET for Deep learning segmentation of transverse '
             'musculoskeletal ultrasound images for neuromuscular disease '
             'assessment/DATASET_10.1016j.compbiomed.2021.104623.zip')
    write(raw / 'STMUS_NDA', {
        'STMUS_NDA.zip': zip_bytes({outer: zip_bytes(inner)})
    })
    return {'STMUS_NDA': Expect(2, {'transverse_musculoskeletal': 2})}


@factory
def stu_hospital(raw):
    big = rects([(8, 8, 24, 24)], shape=(128, 128))
    big[7, 8:32] = 90  # anti-aliased edge below the threshold
    write(raw / 'STU-Hospital' / 'Hospital', {
        'Test_Image_1.png': png(noise()),
        'mask_1.png': png(big),
        'Test_Image_2.png': png(noise()),
        'mask_2.png': png(rects(TWO)),
    })
    return {'STU-Hospital': Expect(2, {'breast_tumour': 3})}


@factory
def thyroid_cineclip(raw):
    import h5py
    path = raw / 'Thyroid US Cineclip' / 'dataset.hdf5'
    path.parent.mkdir(parents=True)
    masks = np.stack([rects(ONE)] * 5 + [rects([])])
    cv2.rectangle(masks[0], (2, 2), (12, 12), 255, 1)  # joins ONE, filled
    with h5py.File(path, 'w') as h5:
        h5['image'] = np.stack([noise() for _ in range(6)])
        h5['mask'] = masks
        h5['annot_id'] = np.array([b'1_', b'1_', b'1_', b'2_', b'2_', b'3_'])
        h5['frame_num'] = np.array([0, 1, 2, 0, 1, 0])
    return {'Thyroid US Cineclip': Expect(6, {'thyroid_nodule': 5})}


@factory
def tnscui(raw):
    write(raw / 'TNSCUI', {
        'tnscui.tar.gz': tar_bytes({
            'tnscui/JPEGImages/1.jpg': jpg(noise()),
            'tnscui/SegmentationClass/1.png': png(rects(TWO, 1)),
        }),
        'official/image/2.PNG': png(noise()),
        'official/mask/2.PNG': png(rects(ONE, 255)),
    })
    return {'TNSCUI': Expect(2, {'thyroid_nodule': 3})}


@factory
def upbd(raw):

    def shape(label, points, kind='polygon'):
        return dict(label=label, points=points, shape_type=kind)

    document = dict(shapes=[
        shape('dongmai', [[2, 2], [12, 2], [12, 12], [2, 12]]),
        shape('shenjing', [[16, 16], [28, 28]], 'rectangle'),
        shape('xueguan', [[0, 0], [5, 0], [5, 5]]),
    ])
    write(raw / 'UPBD', {
        'data/p1/1.jpg': jpg(noise()),
        'data/p1/1.json': json.dumps(document).encode(),
        'data/p2/1.jpg': jpg(noise()),
    })
    return {'UPBD': Expect(1, {'artery': 1, 'nerve': 1},
                           skips={'image without a mask': 1},
                           unexpected=("label 'xueguan'", ))}


@factory
def us_nerve(raw):
    files = {}
    for name, boxes in (('1_1', ONE), ('1_2', []), ('2_1', TWO)):
        files[f'train/{name}.tif'] = encode(noise(), '.tif')
        files[f'train/{name}_mask.tif'] = encode(rects(boxes), '.tif')
    files['test/1.tif'] = encode(noise(), '.tif')
    write(raw / 'US nerve Segmentation', files)
    return {'US nerve Segmentation': Expect(3, {'brachial_plexus': 3})}


def make_raw(root: Path) -> Dict[str, Expect]:
    """Write every fixture under ``root``; expectations by dataset name."""
    expected: Dict[str, Expect] = {}
    for make in FACTORIES:
        expected.update(make(root))
    return expected


def hash_tree(root: Path) -> Dict[str, str]:
    """Content hash of every file under root (to prove it is unchanged)."""
    import hashlib
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob('*')) if p.is_file()}


def structure_counts(coco: dict) -> Counter:
    return Counter(a['structure'] for a in coco['annotations'])
