"""Read a dataset as downloaded: folders, zip and tar archives, nested archives.

Nothing is ever written under the raw root. Zip archives on disk are read in
place; tar archives and archives nested in other archives are copied to a
scratch folder (under the build output) first, because reading their members
in random order would decompress them again and again.
"""
import hashlib
import os
import os.path as osp
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

TAR_SUFFIXES = ('.tar', '.tar.gz', '.tgz', '.tar.bz2', '.tbz2', '.tar.xz')
# Formats this package cannot open; the user is told to extract them.
UNSUPPORTED_ARCHIVES = ('.rar', '.7z')
_ZIP_MAGIC = (b'PK\x03\x04', b'PK\x05\x06')


class RawReadError(RuntimeError):
    """A raw file or archive member cannot be read."""


@dataclass(frozen=True)
class RawFile:
    """One file of a raw dataset, on disk or inside a zip archive.

    Args:
        path (str): Logical path, ``/``-separated, relative to the raw root.
            Archives count as folders named like the archive without its
            suffix, so ``BUSI/BUSI.zip`` member ``a/b.png`` and the extracted
            ``BUSI/BUSI/a/b.png`` have the same logical path.
        size (int): Size in bytes.
        disk (str): The file on disk, or the zip archive holding it.
        member (str, optional): Member name inside the zip ``disk``.
    """
    path: str
    size: int
    disk: str
    member: Optional[str] = None

    @property
    def name(self) -> str:
        return self.path.rsplit('/', 1)[-1]

    def open(self) -> BinaryIO:
        """A binary stream of the file (sequential reads)."""
        if self.member is None:
            return open(self.disk, 'rb')
        return _open_zip(self.disk).open(self.member)

    def read(self) -> bytes:
        """The file's bytes."""
        if self.member is None:
            with open(self.disk, 'rb') as f:
                return f.read()
        try:
            with self.open() as f:
                return f.read()
        except (NotImplementedError, zipfile.BadZipFile, OSError,
                EOFError) as err:
            raise RawReadError(
                f'{self.path}: cannot read it from {self.disk} ({err}); '
                'extract the archive and put the folder under the raw root '
                'instead') from err

    def local_path(self, scratch: str) -> str:
        """A path on disk holding the file (readers that need a path).

        Members of archives are copied once into ``scratch``.
        """
        if self.member is None:
            return self.disk
        target = osp.join(scratch, 'members',
                          hashlib.sha1(self.path.encode()).hexdigest()[:16],
                          self.name)
        if not osp.exists(target):
            os.makedirs(osp.dirname(target), exist_ok=True)
            partial = target + '.partial'
            with open(partial, 'wb') as f:
                f.write(self.read())
            os.replace(partial, target)
        return target


_ZIP_CACHE: Dict[Tuple[int, str], zipfile.ZipFile] = {}


def _open_zip(path: str) -> zipfile.ZipFile:
    """A ZipFile kept open per process (forked workers reopen their own)."""
    key = (os.getpid(), path)
    if key not in _ZIP_CACHE:
        _ZIP_CACHE[key] = zipfile.ZipFile(path)
    return _ZIP_CACHE[key]


def _strip_archive_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in TAR_SUFFIXES + ('.zip', '.change2zip'):
        if lower.endswith(suffix):
            return name[:-len(suffix)]
    return name


def _is_zip(path: str) -> bool:
    with open(path, 'rb') as f:
        return f.read(4) in _ZIP_MAGIC


def _is_tar_name(name: str) -> bool:
    return name.lower().endswith(TAR_SUFFIXES)


@dataclass
class ScanResult:
    """What a scan of one dataset folder found.

    Args:
        files (list[RawFile]): Readable files, one per logical path.
        duplicates (int): Files ignored because another copy (e.g. the
            extracted folder next to its archive) has the same logical path.
        unsupported (list[str]): Archives that cannot be opened here.
        unreadable (list[str]): Archives that failed to open, with the reason.
    """
    files: List[RawFile]
    duplicates: int
    unsupported: List[str]
    unreadable: List[str]


def dataset_files(root: str, folder: str) -> List[Tuple[str, int]]:
    """``(relative path, size)`` of every file on disk under ``root/folder``.

    Cheap (no archive is opened): this is the input fingerprint's material.
    """
    found = []
    base = osp.join(root, folder)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            path = osp.join(dirpath, name)
            found.append((osp.relpath(path, root).replace(os.sep, '/'),
                          osp.getsize(path)))
    return found


def fingerprint(entries: List[Tuple[str, int]]) -> str:
    """sha256 of the sorted ``(path, size)`` list."""
    digest = hashlib.sha256()
    for path, size in sorted(entries):
        digest.update(f'{path}\0{size}\n'.encode())
    return digest.hexdigest()


def scan(root: str, folder: str, scratch: str) -> ScanResult:
    """Every file under ``root/folder``, looking inside archives at any depth.

    Args:
        root (str): The raw root.
        folder (str): The dataset's folder under it.
        scratch (str): Where tar archives and nested archives are unpacked.
    """
    by_path: Dict[str, RawFile] = {}
    result = ScanResult([], 0, [], [])

    def add(raw: RawFile) -> None:
        if raw.path in by_path:
            result.duplicates += 1
            # An extracted copy is cheaper to read than an archive member.
            if by_path[raw.path].member is not None and raw.member is None:
                by_path[raw.path] = raw
            return
        by_path[raw.path] = raw

    def visit_disk(path: str, logical: str) -> None:
        name = osp.basename(path)
        if name.lower().endswith(UNSUPPORTED_ARCHIVES):
            result.unsupported.append(logical)
        elif _is_tar_name(name):
            visit_tar(path, _strip_archive_suffix(logical))
        elif _is_zip(path):
            visit_zip(path, _strip_archive_suffix(logical))
        else:
            add(RawFile(logical, osp.getsize(path), path))

    def visit_zip(path: str, logical: str) -> None:
        try:
            members = _open_zip(path).infolist()
        except (zipfile.BadZipFile, OSError) as err:
            result.unreadable.append(f'{logical}: {err}')
            return
        for info in members:
            if info.is_dir():
                continue
            inner = f'{logical}/{info.filename}'
            lower = info.filename.lower()
            if lower.endswith(UNSUPPORTED_ARCHIVES):
                result.unsupported.append(inner)
            elif lower.endswith(('.zip', '.change2zip')) or _is_tar_name(lower):
                nested = RawFile(inner, info.file_size, path, info.filename)
                try:
                    local = nested.local_path(scratch)
                except RawReadError as err:
                    result.unreadable.append(str(err))
                    continue
                visit_disk(local, inner)
            else:
                add(RawFile(inner, info.file_size, path, info.filename))

    def visit_tar(path: str, logical: str) -> None:
        target = osp.join(scratch, 'tar',
                          hashlib.sha1(logical.encode()).hexdigest()[:16])
        done = target + '.done'
        try:
            if not osp.exists(done):
                shutil.rmtree(target, ignore_errors=True)
                with tarfile.open(path) as tar:
                    tar.extractall(target, filter='data')
                open(done, 'w').close()
        except (tarfile.TarError, OSError, EOFError) as err:
            result.unreadable.append(f'{logical}: {err}')
            return
        for sub, inner in _walk(target):
            visit_disk(sub, f'{logical}/{inner}')

    base = osp.join(root, folder)
    for path, inner in _walk(base):
        visit_disk(path, f'{folder}/{inner}')
    result.files = sorted(by_path.values(), key=lambda f: f.path)
    return result


def _walk(base: str) -> Iterator[Tuple[str, str]]:
    """``(path, path relative to base with /)`` of the files under base, sorted."""
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for name in sorted(filenames):
            path = osp.join(dirpath, name)
            yield path, osp.relpath(path, base).replace(os.sep, '/')
