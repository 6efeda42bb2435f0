"""Checks of a train / test run's config before anything is built.

``tools/train.py`` and ``tools/test.py`` call these right after reading the config, so
that a missing annotation file or checkpoint is one line naming the file and the
command that makes it, instead of a traceback after the model is built.

A dataset class that writes its own data when it is absent (e.g. a synthetic set)
declares it with a class attribute ``creates_missing_files = True``; its annotation
file is then not required to exist beforehand.
"""
import difflib
import inspect
import os.path as osp
import re
import sys
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.runner import FlexibleRunner, Runner

from mmdet.registry import DATASETS
from ..datasets import CocoFormatError, ImagePipelineError, LabelFileError
from ..datasets.unlabeled import UnlabeledDataError

# Top-level config keys that MMEngine's runners (their arguments, and the keys
# they read from ``cfg``), mmengine.Config and the tools read at run time. Any
# other top-level key is a variable used only while the config file is parsed.
RUN_TIME_KEYS = frozenset(
    {*inspect.signature(Runner.__init__).parameters,
     *inspect.signature(FlexibleRunner.__init__).parameters,
     'runner_type', 'model_wrapper_cfg', 'custom_imports', 'sync_bn',
     'find_unused_parameters', 'activation_checkpointing',
     'efficient_conv_bn_eval', 'init_weights_for_test_or_val'} -
    {'self', 'cfg'})
_MAX_SUGGESTIONS = 4

# Commands that make the inputs of the shipped configs, matched on the path;
# ``{path}`` is the missing file, ``{data_root}`` its dataset's root,
# ``{data_parent}`` the folder above that, ``{name}`` the dataset's ``name``.
MAKERS = (
    (r'(^|/)us43d/annotations/per_dataset/(?P<dataset>[^/]+)/[^/]+\.json$',
     'python tools/dataset_converters/build_us43d.py --raw-root RAW '
     '--out {data_root} --datasets {dataset}'),
    (r'(^|/)us43d/annotations/[^/]+\.json$',
     'python tools/dataset_converters/build_us43d.py --raw-root RAW '
     '--out {data_root}'),
    (r'(^|/)classification/[^/]+/annotations/[^/]+\.txt$',
     'python tools/dataset_converters/build_classification.py --raw-root RAW '
     '--out {data_parent} --datasets {name}'),
    (r'(^|/)phantom/annotations/[^/]+\.json$',
     'python tools/dataset_converters/make_phantom.py --out {data_root} '
     '--num-train 300 --num-test 50 --seed 0'),
    (r'(^|/)ultrasam_release\.pth$',
     'python tools/model_converters/ultrasam_release_to_ultrasam.py '
     'UltraSam.pth {path}'),
    (r'(^|/)(?P<source>[^/]+)_ultrasam\.pth$',
     'python tools/model_converters/sam_to_ultrasam.py {source}.pth {path}'),
)


def _maker(path: str, data_root: str = '', name: str = '') -> Optional[str]:
    for pattern, command in MAKERS:
        match = re.search(pattern, path.replace('\\', '/'))
        if match:
            root = data_root.rstrip('/') or '.'
            return command.format(
                path=path,
                data_root=root,
                data_parent=osp.dirname(root) or '.',
                name=name or 'NAME',
                **match.groupdict())
    return None


def dataloaders_in_use(cfg: Config, mode: str) -> List[str]:
    """The dataloader keys a ``'train'`` or ``'test'`` run builds.

    Training validates only when ``val_dataloader``, ``val_cfg`` and
    ``val_evaluator`` are all set (MMEngine's rule).
    """
    if mode == 'test':
        return ['test_dataloader']
    loaders = ['train_dataloader']
    if all(cfg.get(key) for key in ('val_dataloader', 'val_cfg',
                                    'val_evaluator')):
        loaders.append('val_dataloader')
    return loaders


def _dataset_class(dataset_type: object, scope: str) -> Optional[type]:
    """The class of a dataset ``type`` of registry ``scope`` (a 'scope.'
    prefix of the type wins), None when unknown."""
    if not isinstance(dataset_type, str):
        return dataset_type if isinstance(dataset_type, type) else None
    # Registry.get looks in its own scope and the parents only: an unscoped
    # name of another package (e.g. mmpretrain's) needs its scope prefix.
    if '.' not in dataset_type:
        dataset_type = f'{scope}.{dataset_type}'
    try:
        return DATASETS.get(dataset_type)
    except KeyError:
        return None


def _annotation_files(dataset: dict, where: str, default_scope: str
                      ) -> Iterator[Tuple[str, str, str, str]]:
    """``(path, config key, data_root, dataset name)`` of every annotation
    file a dataset config (wrappers included) reads from local disk."""
    scope = dataset.get('_scope_', default_scope)
    if isinstance(dataset.get('dataset'), dict):
        yield from _annotation_files(dataset['dataset'], f'{where}.dataset',
                                     scope)
    for index, child in enumerate(dataset.get('datasets') or []):
        yield from _annotation_files(child, f'{where}.datasets.{index}',
                                     scope)
    ann_file = dataset.get('ann_file')
    dataset_class = _dataset_class(dataset.get('type'), scope)
    # An unknown type fails in the runner with the registry's own message.
    if (not ann_file or dataset_class is None
            or getattr(dataset_class, 'creates_missing_files', False)):
        return
    data_root = dataset.get('data_root') or ''
    path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
    if '://' not in path:
        yield path, f'{where}.ann_file', data_root, dataset.get('name', '')


def _entries(node: object, where: str) -> Iterator[Tuple[str, object]]:
    """``(dotted key, value)`` of every entry below ``node``, depth first."""
    children = (node.items() if isinstance(node, dict) else
                enumerate(node) if isinstance(node, list) else ())
    for key, value in children:
        path = f'{where}.{key}' if where else str(key)
        yield path, value
        yield from _entries(value, path)


def missing_input_files(cfg: Config, mode: str,
                        checkpoints: Optional[Dict[str, str]] = None
                        ) -> List[str]:
    """One line per input file a run needs that does not exist.

    Args:
        cfg (Config): The merged config.
        mode (str): ``'train'`` (checks ``load_from`` and Pretrained
            ``init_cfg`` checkpoints too) or ``'test'``.
        checkpoints (dict, optional): Further checkpoints, ``{what: path}``
            (e.g. the CHECKPOINT argument of tools/test.py).

    Returns:
        list[str]: e.g. ``"annotation file data/us43d/annotations/train.json
        (train_dataloader.dataset.ann_file) not found; make it with: python
        tools/dataset_converters/build_us43d.py ..."``.
    """
    default_scope = cfg.get('default_scope') or 'mmdet'
    problems = []
    for loader in dataloaders_in_use(cfg, mode):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if not isinstance(dataset, dict):
            continue
        for path, where, data_root, name in _annotation_files(
                dataset, f'{loader}.dataset', default_scope):
            if not osp.isfile(path):
                maker = _maker(path, data_root, name)
                problems.append(
                    f'annotation file {path} ({where}) not found; ' +
                    (f'make it with: {maker}' if maker else
                     'make the dataset, or point the config at yours with '
                     f'--cfg-options {loader}.dataset.data_root=DIR'))
    to_check = dict(checkpoints or {})
    if mode == 'train':
        if cfg.get('load_from'):
            where = 'load_from, to resume' if cfg.get('resume') else 'load_from'
            to_check[where] = cfg.load_from
        to_check.update(
            (f'{where}.checkpoint', node['checkpoint'])
            for where, node in _entries(cfg.get('model') or {}, 'model')
            if isinstance(node, dict) and node.get('type') == 'Pretrained'
            and node.get('checkpoint'))
    for where, path in to_check.items():
        if '://' not in str(path) and not osp.isfile(path):
            maker = _maker(str(path))
            problems.append(f'checkpoint {path} ({where}) not found' +
                            (f'; make it with: {maker}' if maker else ''))
    return problems


def unread_override_warnings(cfg: Config, options: Dict[str, object]
                             ) -> List[str]:
    """Warnings for ``--cfg-options`` that set a top-level key nothing reads.

    A top-level variable such as ``max_iters`` or ``data_root`` is substituted
    into other entries while the config file is parsed; overriding it later
    changes nothing. Each warning names the keys the user probably meant: the
    nested keys of the same (or a similar) name, then those holding the
    variable's value (for a number, only if no name matched).

    Args:
        cfg (Config): The config *before* the options are merged.
        options (dict): The parsed ``--cfg-options``.

    Returns:
        list[str]: One line per unread top-level key.
    """
    # Only entries under keys that are read can be what the user meant.
    entries = [(path, value) for path, value in _entries(cfg._cfg_dict, '')
               if path.split('.')[0] in RUN_TIME_KEYS and '.' in path]
    names = {path.rsplit('.', 1)[1] for path, _ in entries}
    warnings = {}
    for option, new_value in options.items():
        key = option.split('.')[0]
        if key in RUN_TIME_KEYS or key in warnings:
            continue
        similar = {key} if key in names else set(
            difflib.get_close_matches(key, names, n=3, cutoff=0.8))
        by_name = [path for path, _ in entries
                   if path.rsplit('.', 1)[1] in similar]
        # Equal numbers are often a coincidence (256 px, 256 channels);
        # equal strings, lists and dicts rarely are.
        value = cfg.get(key)
        by_value = [] if value is None or (
            isinstance(value, (int, float)) and by_name) else [
                path for path, entry in entries
                if type(entry) is type(value) and entry == value]
        meant = list(dict.fromkeys(by_name + by_value))[:_MAX_SUGGESTIONS]
        warnings[key] = (
            f'--cfg-options {option}={new_value!r}: no component reads the '
            f'top-level key {key!r} (a variable used only while the config '
            'file is parsed), so this override changes nothing' +
            (f'; set the keys that are read, e.g. {", ".join(meant)}'
             if meant else ''))
    return list(warnings.values())


def disable_persistent_workers_without_workers(cfg: Config) -> None:
    """``persistent_workers=True`` with ``num_workers=0`` is an error in torch's
    DataLoader; with no workers there is nothing to keep alive."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        settings = cfg.get(loader)
        if isinstance(settings, dict) and not settings.get('num_workers', 0):
            if settings.get('persistent_workers'):
                settings['persistent_workers'] = False


@contextmanager
def data_errors_as_exit(tool: str) -> Iterator[None]:
    """Turn the datasets' own clear errors into one ``TOOL: error:`` line.

    A malformed annotation file, an image the pipeline cannot read, a set with
    nothing to train on or a phantom directory holding other data name their
    file already; MMEngine's traceback around them only hides that line.
    """
    try:
        yield
    except (CocoFormatError, ImagePipelineError, LabelFileError,
            UnlabeledDataError, FileExistsError) as err:
        raise SystemExit(f'{tool}: error: {err}') from err


def exit_on_problems(tool: str, problems: Sequence[str]) -> None:
    """``sys.exit`` with one ``TOOL: error: ...`` line per problem, if any."""
    if problems:
        raise SystemExit('\n'.join(f'{tool}: error: {p}' for p in problems))


def build_run_config(config: str, cfg_options: Optional[Dict[str, object]],
                     launcher: str, work_dir: Optional[str],
                     tool: str) -> Config:
    """Read a config for tools/train.py or test.py and apply the command line.

    Warns on stderr about options that set a top-level key nothing reads, and
    turns ``persistent_workers`` off for loaders without workers.

    Args:
        config (str): Config file.
        cfg_options (dict, optional): Parsed ``--cfg-options``.
        launcher (str): ``--launcher``.
        work_dir (str, optional): ``--work-dir``; defaults to the config's,
            else ``./work_dirs/<config name>``.
        tool (str): The tool's name, prefixing warnings.

    Returns:
        Config: The merged config.
    """
    if not osp.isfile(config):
        raise SystemExit(f'{tool}: error: config file {config} not found')
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        for warning in unread_override_warnings(cfg, cfg_options):
            print(f'{tool}: warning: {warning}', file=sys.stderr)
        cfg.merge_from_dict(cfg_options)
    disable_persistent_workers_without_workers(cfg)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg
