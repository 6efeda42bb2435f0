"""Tiny raw classification datasets in the layouts of the nine public ones.

Each factory writes ``RAW/<NAME>/`` as a user would download it (folders,
archives, a MATLAB file, videos) with seeded noise images and the dataset's
awkward cases, and returns what a correct build must give.
"""
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np

SIZE = 24
_COUNTER = {'n': 0}


@dataclass
class Expect:
    """What building one fixture dataset must give.

    Args:
        labels (dict[str, str]): Original file (path under the dataset
            folder, as logged in nothing but the manifest) -> class, for
            every image kept; videos / stacks give one entry per frame, keyed
            ``file#frame``.
        test (tuple[str]): Originals that must be in the test split.
        val (tuple[str]): Originals that must be in the val split.
        skips (dict[str, int]): Skip reason substrings and their counts.
        together (tuple[tuple[str, ...]]): Originals that must share a split
            (one patient / video).
    """
    labels: Dict[str, str]
    test: Tuple[str, ...] = ()
    val: Tuple[str, ...] = ()
    skips: Dict[str, int] = field(default_factory=dict)
    together: Tuple[Tuple[str, ...], ...] = ()


def noise(shape=(SIZE, SIZE)) -> np.ndarray:
    """A distinct seeded noise image."""
    _COUNTER['n'] += 1
    return np.random.default_rng(_COUNTER['n']).integers(
        20, 230, shape).astype(np.uint8)


def image(path: Path, pixels: Optional[np.ndarray] = None) -> np.ndarray:
    """Write a (lossless PNG or JPEG) image; returns its pixels."""
    pixels = noise() if pixels is None else pixels
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), pixels)
    return pixels


def text(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def busbra(raw: Path) -> Expect:
    root = raw / 'BUS-BRA' / 'BUSBRA'
    rows, labels, test = ['ID,Histology,Pathology,BIRADS,kFold'], {}, []
    for patient in range(1, 7):
        pathology = 'malignant' if patient % 3 == 0 else 'benign'
        fold = 1 if patient <= 2 else patient % 4 + 2
        for side in ('l', 'r'):
            name = f'bus_{patient:04d}-{side}'
            image(root / 'Images' / f'{name}.png')
            image(root / 'Masks' / f'mask_{patient:04d}-{side}.png')
            rows.append(f'{name},x,{pathology},4,{fold}')
            labels[f'Images/{name}.png'] = pathology
            if fold == 1:
                test.append(f'Images/{name}.png')
    image(root / 'Images' / 'bus_0099-l.png')  # no CSV row
    text(root / '5-fold-cv.csv', '\n'.join(rows) + '\n')
    return Expect(labels, test=tuple(test),
                  skips={'no row in the table files': 1},
                  together=tuple((f'Images/bus_{p:04d}-l.png',
                                  f'Images/bus_{p:04d}-r.png')
                                 for p in range(1, 7)))


MMOTU = ('chocolate_cyst', 'serous_cystadenoma', 'teratoma',
         'theca_cell_tumor', 'simple_cyst', 'normal_ovary',
         'mucinous_cystadenoma', 'high_grade_serous')


def mmotu(raw: Path) -> Expect:
    root = raw / 'MMOTU-2D' / 'OTU_2d'
    lists = {'train': [], 'val': []}
    labels, test = {}, []
    for n in range(1, 13):
        split = 'val' if n > 9 else 'train'
        label = (n * 3) % 8
        image(root / 'images' / f'{n}.JPG')
        lists[split].append(f'{n}.JPG  {label}')
        labels[f'images/{n}.JPG'] = MMOTU[label]
        if split == 'val':
            test.append(f'images/{n}.JPG')
    image(root / 'images' / '13.JPG')  # in neither list
    image(root / 'images' / '5_crop.JPG')  # not an image of the set
    for split, lines in lists.items():
        text(root / f'{split}_cls.txt', '\n'.join(lines) + '\n')
    return Expect(labels, test=tuple(test),
                  skips={'no row in the table files': 1})


def gist(raw: Path) -> Expect:
    root = raw / 'GIST514-DB' / 'usd514_jpeg_roi'
    categories = [dict(id=1, name='lmym'), dict(id=2, name='GIST')]
    labels, test, skips = {}, [], {}
    polygon = [[2, 2, 10, 2, 10, 10, 2, 10]]
    for split in ('train', 'val'):
        images, annotations = [], []
        for index in range(5):
            name = f'{split}{index}.jpg'
            image(root / 'images' / name)
            image_id = len(images) + 1
            images.append(dict(id=image_id, file_name=name, height=SIZE,
                               width=SIZE))
            category = 1 + index % 2
            annotations.append(dict(id=len(annotations) + 1,
                                    image_id=image_id,
                                    category_id=category,
                                    segmentation=polygon))
            if index == 4:  # two lesions of different categories
                annotations.append(dict(id=len(annotations) + 1,
                                        image_id=image_id, category_id=2,
                                        segmentation=polygon))
                continue
            labels[f'images/{name}'] = ('leiomyoma', 'gist')[category - 1]
            if split == 'val':
                test.append(f'images/{name}')
        text(root / 'annotations' / f'{split}_anno_crop_split_0.json',
             json.dumps(dict(images=images, annotations=annotations,
                             categories=categories)))
    text(root / 'annotations' / 'train_anno_crop_split_1.json', '{}')
    return Expect(labels, test=tuple(test),
                  skips={'lesions of several categories': 2})


def busi(raw: Path) -> Expect:
    root = raw / 'BUSI' / 'Dataset_BUSI_with_GT'
    labels = {}
    for label in ('benign', 'malignant', 'normal'):
        for n in range(1, 5):
            name = f'{label}/{label} ({n}).png'
            image(root / name)
            image(root / f'{label}/{label} ({n})_mask.png')
            labels[name] = label
    twin = noise()
    image(root / 'benign/benign (5).png', twin)  # same image, same class
    image(root / 'benign/benign (6).png', twin)
    labels['benign/benign (5).png'] = labels['benign/benign (6).png'] = (
        'benign')
    clash = noise()  # the same lesion filed under both classes
    image(root / 'benign/benign (7).png', clash)
    image(root / 'malignant/malignant (7).png', clash)
    return Expect(labels,
                  skips={'identical image with different labels': 2},
                  together=(('benign/benign (5).png',
                             'benign/benign (6).png'), ))


def aul(raw: Path) -> Expect:
    labels = {}
    archive = raw / 'AUL' / 'AUL.zip'
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, 'w') as outer:
        for cls in ('Benign', 'Malignant', 'Normal'):
            inner = raw / f'{cls}.zip'
            with zipfile.ZipFile(inner, 'w') as member:
                for n in range(1, 4):
                    ok, data = cv2.imencode('.jpg', noise())
                    member.writestr(f'{cls}/{cls}/image/{n}.jpg',
                                    data.tobytes())
                    member.writestr(f'{cls}/{cls}/segmentation/liver/{n}'
                                    '.json', '[[1, 1], [5, 1], [5, 5]]')
                    labels[f'{cls}/image/{n}.jpg'] = cls.lower()
            outer.write(inner, f'{cls}.zip')
            inner.unlink()
    return Expect(labels)


def fatty_liver(raw: Path) -> Expect:
    from scipy.io import savemat
    records = np.empty((1, 4), dtype=[('id', 'O'), ('class', 'O'),
                                      ('fat', 'O'), ('images', 'O')])
    labels, together = {}, []
    for index in range(4):
        cls = index % 2
        stack = np.stack([noise() for _ in range(3)])
        records[0, index] = (np.array([[index + 1]]), np.array([[cls]]),
                             np.array([[30.0 * cls]]), stack)
        frames = [f'{index + 1}#{frame}' for frame in range(3)]
        labels.update({name: ('normal', 'steatosis')[cls]
                       for name in frames})
        together.append(tuple(frames))
    path = raw / 'Fatty-liver' / (
        'dataset_liver_bmodes_steatosis_assessment_IJCARS.mat')
    path.parent.mkdir(parents=True)
    savemat(str(path), {'data': records})
    return Expect(labels, together=tuple(together))


def _video(path: Path, frames: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 9,
                             (SIZE * 2, SIZE * 2))
    for _ in range(frames):
        writer.write(cv2.cvtColor(cv2.resize(noise(), (SIZE * 2, SIZE * 2)),
                                  cv2.COLOR_GRAY2BGR))
    writer.release()


def pocus(raw: Path) -> Expect:
    root = raw / 'POCUS' / 'covid19_ultrasound' / 'data'
    labels, together = {}, []
    # 9 fps sampled at 3 fps: every 3rd frame, at most 30.
    for name, label in (('Cov-Atlas-1.mp4', 'covid'),
                        ('pneu-case.mp4', 'pneumonia'),
                        ('Reg-Youtube.mp4', 'regular')):
        _video(root / 'pocus_videos' / 'convex' / name, 7)
        frames = [f'{name}#{index}' for index in (0, 3, 6)]
        labels.update({frame: label for frame in frames})
        together.append(tuple(frames))
    _video(root / 'pocus_videos' / 'convex' / 'Vir-1.mp4', 3)
    _video(root / 'pocus_videos' / 'linear' / 'Cov-linear.mp4', 3)
    image(root / 'pocus_images' / 'convex' / 'Reg-image.png')
    image(root / 'pocus_images' / 'convex' / 'Cov_image2.png')
    labels['Reg-image.png'] = 'regular'
    labels['Cov_image2.png'] = 'covid'
    return Expect(labels, skips={"unknown label value 'vir'": 1},
                  together=tuple(together))


def tn5000(raw: Path) -> Expect:
    root = raw / 'TN5000' / 'TN5000_forReview' / 'TN5000_forReview'
    lists = {'train': [], 'val': [], 'test': []}
    labels, test, val = {}, [], []
    for index in range(12):
        stem = f'{index:04d}'
        split = ('train', 'train', 'val', 'test')[index % 4]
        label = str(index % 2)
        image(root / 'JPEGImages' / f'{stem}.jpg')
        names = [label, label] if index % 3 else [label]
        objects = ''.join(f'<object><name>{n}</name></object>' for n in names)
        text(root / 'Annotations' / f'{stem}.xml',
             f'<annotation>{objects}</annotation>')
        lists[split].append(stem)
        labels[f'JPEGImages/{stem}.jpg'] = ('benign', 'malignant')[index % 2]
        {'test': test, 'val': val}.get(split, []).append(
            f'JPEGImages/{stem}.jpg')
    image(root / 'JPEGImages' / '0100.jpg')  # objects of both classes
    text(root / 'Annotations' / '0100.xml',
         '<annotation><object><name>0</name></object>'
         '<object><name>1</name></object></annotation>')
    lists['train'].append('0100')
    image(root / 'JPEGImages' / '0101.jpg')  # no annotation file
    lists['train'].append('0101')
    for split, stems in lists.items():
        text(root / 'ImageSets' / 'Main' / f'{split}.txt',
             '\n'.join(stems) + '\n')
    text(root / 'ImageSets' / 'Main' / 'trainval.txt', '0000\n')
    return Expect(labels, test=tuple(test), val=tuple(val),
                  skips={'objects of several classes': 1,
                         'image without an annotation file': 1})


BUTTERFLY = ('carotid', '2ch', 'lungs', 'ivc', '4ch', 'bladder', 'thyroid',
             'plax', 'morisons_pouch')


def butterfly(raw: Path) -> Expect:
    root = raw / 'Butterfly' / 'butterfly_dataset'
    labels, test, together = {}, [], []
    for subset, patients in (('training1', (1, 2, 3)), ('training2', (4, 5)),
                             ('test', (26, 27))):
        for patient in patients:
            names = []
            for index, label in enumerate(BUTTERFLY[patient % 3::3][:2]):
                name = f'{subset}/{patient}/{label}/{index}.png'
                image(root / name)
                labels[name] = label
                names.append(name)
                if subset == 'test':
                    test.append(name)
            together.append(tuple(names))
    return Expect(labels, test=tuple(test), together=tuple(together))


FACTORIES: Dict[str, Callable[[Path], Expect]] = {
    'BUS-BRA': busbra,
    'MMOTU-2D': mmotu,
    'GIST514-DB': gist,
    'BUSI': busi,
    'AUL': aul,
    'Fatty-liver': fatty_liver,
    'POCUS': pocus,
    'TN5000': tn5000,
    'Butterfly': butterfly,
}
