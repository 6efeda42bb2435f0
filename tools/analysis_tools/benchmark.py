"""Time an UltraSam config on this machine: image encoder, prompt decoding, training.

Example (the README's performance table)::

    python tools/analysis_tools/benchmark.py configs/_base_/models/ultrasam_vitb.py \
        --threads 2 --compare-sam --compare-mmpretrain --bf16

Measured, each as the median of ``--reps`` runs after one warm-up run:

- encoder: ``UltraSamPredictor.set_image`` on a random image of
  ``--image-size`` (resize, normalisation and the image encoder), images/s;
- decoding: ``predict`` with 1 box and ``predict_batch`` with 64 boxes on the
  cached image (prompt encoder, mask decoder, upsampling to the image),
  ms per prompt;
- training: ``loss`` + backward + AdamW step on a batch of random images
  at the model's input size, images/s and peak memory (process RSS growth on
  CPU, allocated memory on GPU).

``--compare-sam`` times segment-anything's ``SamPredictor`` (``set_image``,
``predict``, ``predict_torch``) with the same weights (converted back to its
key names) in the same process; ``--compare-mmpretrain`` times the same
model with mmpretrain's ``ViTSAM`` encoder (the same weights). Runs of the
compared models alternate, and ratios are medians of per-run ratios, which
a busy machine disturbs less than absolute times: the load average is
printed with the figures. ``--bf16`` times the encoder under bfloat16
autocast against float32 and prints the largest embedding difference relative
to the largest float32 value.
"""
import argparse
import ctypes
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, NoReturn, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from ultrasam.apis import UltraSamPredictor
from ultrasam.apis.cli_support import positive_int
from ultrasam.models import UltraSam
from ultrasam.structures import PromptType
from ultrasam.utils import load_model_weights

PROG = 'benchmark.py'
REPO = Path(__file__).resolve().parents[2]
NUM_BATCH_PROMPTS = 64
# segment-anything's image encoders by width; all take 1024 px, patch 16.
SAM_ARCHS = {768: 'vit_b', 1024: 'vit_l', 1280: 'vit_h'}


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description='Time encoder, prompt decoding and training')
    parser.add_argument('config', help='config file with a model entry')
    parser.add_argument(
        '--checkpoint', help='weights to load (default: random weights)')
    parser.add_argument(
        '--image-size',
        type=positive_int,
        nargs=2,
        metavar=('H', 'W'),
        help='size of the test image (default: the model input size)')
    parser.add_argument(
        '--reps',
        type=positive_int,
        default=3,
        help='timed runs of each measurement after one warm-up (default 3)')
    parser.add_argument(
        '--threads',
        type=positive_int,
        help='torch CPU threads (default: torch\'s own choice)')
    parser.add_argument(
        '--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument(
        '--train-batch',
        type=positive_int,
        default=1,
        help='images per training step (default 1)')
    parser.add_argument(
        '--train-instances',
        type=positive_int,
        default=8,
        help='prompted instances per training image (default 8)')
    parser.add_argument(
        '--skip-train', action='store_true', help='do not time training')
    parser.add_argument(
        '--compare-sam',
        action='store_true',
        help='also time segment-anything\'s SamPredictor, same weights')
    parser.add_argument(
        '--compare-mmpretrain',
        action='store_true',
        help='also time the model with mmpretrain\'s ViTSAM encoder')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help='also time the encoder under bfloat16 autocast (the '
        'predictor\'s precision=\'bf16\') against float32')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.backbone.with_cp=True')
    args = parser.parse_args(argv)
    if not os.path.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    if args.checkpoint is not None and not os.path.isfile(args.checkpoint):
        parser.error(f'checkpoint not found: {args.checkpoint}')
    return args


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or 'n/a'."""
    try:
        return ' '.join(f'{v:.2f}' for v in os.getloadavg())
    except OSError:
        return 'n/a'


def cpu_name() -> str:
    """The CPU model of /proc/cpuinfo, else the platform's name."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


class PeakMemory:
    """Peak memory of a code section: allocated memory on CUDA, the growth
    of the process's resident set on Linux (reset through
    /proc/self/clear_refs), None elsewhere.

    On Linux the free memory malloc still holds is first handed back to the
    OS (glibc ``malloc_trim``): otherwise a section that runs after another
    one reuses its freed blocks and seems to need less memory.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.start = None

    @staticmethod
    def _status_kib(field: str) -> int:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
        raise OSError(f'no {field} in /proc/self/status')

    def __enter__(self) -> 'PeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.start = torch.cuda.memory_allocated(self.device)
            return self
        try:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            self.start = self._status_kib('VmRSS') * 1024
        except OSError:
            self.start = None
        return self

    def __exit__(self, *exc) -> None:
        pass

    def peak_growth(self) -> Optional[int]:
        """Bytes above the memory in use at ``__enter__``."""
        if self.start is None:
            return None
        if self.device.type == 'cuda':
            return torch.cuda.max_memory_allocated(self.device) - self.start
        return self._status_kib('VmHWM') * 1024 - self.start


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_alternating(runs: Dict[str, Callable[[], object]], reps: int,
                     device: torch.device) -> Dict[str, List[float]]:
    """Seconds of each run, after one warm-up each; the runs alternate (in
    turn reversed order) so that load changes hit all of them alike."""
    names = list(runs)
    for name in names:
        runs[name]()
    times = {name: [] for name in names}
    for rep in range(reps):
        for name in (names if rep % 2 == 0 else names[::-1]):
            synchronize(device)
            start = time.perf_counter()
            runs[name]()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return times


def report(title: str, times: Dict[str, List[float]], per: int, unit: str,
           reference: str) -> None:
    """Print median times (per item) and the median per-run ratios to the
    first (our) run."""
    ours = next(iter(times))
    print(f'{title}:')
    for name, values in times.items():
        median = statistics.median(values)
        if unit == 'images/s':
            figure = f'{median:8.3f} s/image  {per / median:7.3f} images/s'
        else:
            figure = f'{1000 * median / per:8.2f} ms/prompt'
        line = f'  {name:<34s}{figure}'
        if name != ours:
            ratio = statistics.median(
                a / b for a, b in zip(times[ours], values))
            line += f'   {reference} = {ratio:.2f}x'
        print(line)


def random_image(height: int, width: int) -> np.ndarray:
    """A uint8 RGB test image (noise: the encoder's cost does not depend on
    content)."""
    return np.random.default_rng(0).integers(
        0, 256, (height, width, 3), dtype=np.uint8)


def random_boxes(num: int, height: int, width: int) -> np.ndarray:
    """``num`` x1, y1, x2, y2 boxes inside a height x width image."""
    rng = np.random.default_rng(1)
    x = np.sort(rng.uniform(0, width - 1, (num, 2)), axis=1)
    y = np.sort(rng.uniform(0, height - 1, (num, 2)), axis=1)
    return np.stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]], axis=1)


def training_batch(model: torch.nn.Module, batch: int, instances: int,
                   device: torch.device):
    """Normalised random images at the model's input size and data samples
    with ``instances`` rectangle masks each, prompted by a point, a box or
    both in turn."""
    height, width = model.input_size
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, height, width, generator=g).to(device)
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(batch):
        sample = DetDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                pad_shape=(height, width),
                batch_input_shape=(height, width),
                scale_factor=(1., 1.)))
        masks = np.zeros((instances, height, width), np.uint8)
        boxes = np.zeros((instances, 4), np.float32)
        coords = np.zeros((instances, 1, 2), np.float32)
        labels = np.ones((instances, 1), np.int64)
        types = [i % 3 for i in range(instances)]
        for i in range(instances):
            y0, x0 = rng.integers(0, height // 2), rng.integers(0, width // 2)
            y1 = y0 + rng.integers(height // 16, height // 2)
            x1 = x0 + rng.integers(width // 16, width // 2)
            masks[i, y0:y1, x0:x1] = 1
            boxes[i] = [x0, y0, x1 - 1, y1 - 1]
            coords[i, 0] = [(x0 + x1) / 2, (y0 + y1) / 2]
            if types[i] == PromptType.BOX:
                labels[i, 0] = -1
        gt = InstanceData()
        gt.masks = BitmapMasks(masks, height, width)
        gt.labels = torch.zeros(instances, dtype=torch.long)
        gt.point_coords = torch.from_numpy(coords)
        gt.point_labels = torch.from_numpy(labels)
        gt.prompt_boxes = torch.from_numpy(boxes)
        gt.prompt_types = torch.tensor(types, dtype=torch.long)
        sample.gt_instances = gt
        samples.append(sample.to(device))
    return inputs, samples


def training_step(model: torch.nn.Module, inputs: torch.Tensor,
                  samples: Sequence[DetDataSample]) -> Callable[[], None]:
    """One AdamW step (loss, backward, update) as a callable."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-6)

    def step() -> None:
        model.train()
        losses = model.loss(inputs, samples)
        sum(losses.values()).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def load_converter():
    """``convert_sam`` of tools/model_converters/sam_to_ultrasam.py."""
    path = REPO / 'tools' / 'model_converters' / 'sam_to_ultrasam.py'
    spec = importlib.util.spec_from_file_location('sam_to_ultrasam', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.convert_sam


def sam_predictor(model: torch.nn.Module, device: torch.device):
    """segment-anything's SamPredictor holding ``model``'s weights."""
    try:
        from segment_anything import SamPredictor, sam_model_registry
    except ImportError:
        fail('--compare-sam needs segment-anything: '
             'pip install segment-anything')
    backbone = model.backbone
    name = SAM_ARCHS.get(getattr(backbone, 'embed_dims', None))
    if name is None or model.input_size != (1024, 1024):
        fail('--compare-sam needs a SAM architecture (ViT-B/L/H at 1024 '
             f'px), got a {getattr(backbone, "embed_dims", "?")}-d encoder '
             f'at {model.input_size}')
    sam = sam_model_registry[name]()
    renamed = load_converter()(sam.state_dict())
    ours = model.state_dict()
    missing = [key for key in renamed if key not in ours]
    if missing:
        fail(f'the model has no {missing[0]!r}: its weights cannot be '
             f'given to segment-anything\'s {name}')
    sam.load_state_dict(
        {sam_key: ours[key]
         for sam_key, key in zip(sam.state_dict(), renamed)},
        strict=True)
    return SamPredictor(sam.to(device).eval())


def time_bf16_encoder(model: UltraSam, image: np.ndarray, reps: int,
                      device: torch.device) -> None:
    """Time ``set_image`` with the encoder in bfloat16 against float32 and
    print how far the bfloat16 embedding is from the float32 one."""
    predictors = {
        'set_image, bf16 encoder': UltraSamPredictor(model, precision='bf16'),
        'set_image, fp32 encoder': UltraSamPredictor(model)
    }
    report('image encoder, bfloat16 autocast',
           time_alternating({
               name: lambda p=predictor: p.set_image(image)
               for name, predictor in predictors.items()
           }, reps, device), 1, 'images/s', 'bf16 / fp32')
    bf16, fp32 = (p.features for p in predictors.values())
    relative = (bf16 - fp32).abs().max() / fp32.abs().max()
    print(f'  max |bf16 - fp32 embedding| / max |fp32 embedding|: '
          f'{relative.item():.1e}')


def build_model(cfg: Config, checkpoint: Optional[str],
                device: torch.device) -> torch.nn.Module:
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_model_weights(model, checkpoint, strict=True)
    return model.to(device)


def mmpretrain_twin(cfg: Config, model: torch.nn.Module,
                    device: torch.device) -> torch.nn.Module:
    """The same model and weights with mmpretrain's ViTSAM encoder."""
    twin_cfg = cfg.copy()
    backbone = dict(twin_cfg.model.backbone)
    backbone.pop('with_cp', None)
    backbone['type'] = 'mmpretrain.ViTSAM'
    twin_cfg.model.backbone = backbone
    twin = build_model(twin_cfg, None, device)
    twin.load_state_dict(model.state_dict(), strict=True)
    return twin


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        device = torch.device(args.device)
    except RuntimeError as error:
        fail(f'--device {args.device!r}: {error}')
    if device.type == 'cuda' and not torch.cuda.is_available():
        fail(f'--device {args.device}: CUDA is not available')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'model' not in cfg:
        fail(f'config {args.config} has no model entry')
    torch.manual_seed(0)
    model = build_model(cfg, args.checkpoint, device)
    if not isinstance(model, UltraSam):
        fail(f'config {args.config} builds a {type(model).__name__}; '
             f'{PROG} times UltraSam models')
    predictor = UltraSamPredictor(model)
    height, width = args.image_size or model.input_size

    print(f'machine: {cpu_name()}, {os.cpu_count()} CPUs; torch '
          f'{torch.__version__}, {torch.get_num_threads()} threads, device '
          f'{device}')
    print(f'config: {args.config} ({type(model.backbone).__name__} encoder, '
          f'input {model.input_size[0]}x{model.input_size[1]}); weights: '
          f'{args.checkpoint or "random"}; image {height}x{width}; '
          f'{args.reps} runs after a warm-up')
    print(f'load average (1/5/15 min) before: {load_average()}')

    sam = sam_predictor(model, device) if args.compare_sam else None
    twin = mmpretrain_twin(cfg, model, device) \
        if args.compare_mmpretrain else None
    twin_predictor = UltraSamPredictor(twin) if twin is not None else None
    image = random_image(height, width)

    with torch.no_grad():
        runs = {'UltraSamPredictor.set_image': lambda: predictor.set_image(
            image)}
        if twin_predictor is not None:
            runs['with mmpretrain ViTSAM'] = \
                lambda: twin_predictor.set_image(image)
        if sam is not None:
            runs['SamPredictor.set_image'] = lambda: sam.set_image(image)
        report('image encoder', time_alternating(runs, args.reps, device), 1,
               'images/s', 'ours / theirs')
        if sam is not None and (height, width) == model.input_size:
            diff = (predictor.features - sam.features).abs().max().item()
            print(f'  max |image embedding difference| to segment-anything: '
                  f'{diff:.1e}')
        if args.bf16:
            time_bf16_encoder(model, image, args.reps, device)

        for num in (1, NUM_BATCH_PROMPTS):
            boxes = random_boxes(num, height, width)
            runs = {
                'UltraSamPredictor.predict_batch':
                lambda: predictor.predict_batch(
                    boxes=boxes, multimask_output=False)
            }
            if sam is not None:
                sam_boxes = torch.as_tensor(boxes, dtype=torch.float,
                                            device=device)

                def sam_predict(sam_boxes=sam_boxes):
                    return sam.predict_torch(
                        None, None,
                        sam.transform.apply_boxes_torch(
                            sam_boxes, sam.original_size),
                        multimask_output=False)

                runs['SamPredictor.predict_torch'] = sam_predict
            report(f'decoding {num} box prompt{"s" if num > 1 else ""} '
                   '(single-mask output, upsampled to the image)',
                   time_alternating(runs, args.reps, device), num,
                   'ms/prompt', 'ours / theirs')

    if not args.skip_train:
        inputs, samples = training_batch(model, args.train_batch,
                                         args.train_instances, device)
        steps = {'UltraSam training step': training_step(
            model, inputs, samples)}
        if twin is not None:
            steps['with mmpretrain ViTSAM'] = training_step(
                twin, inputs, samples)
        peaks = {name: [] for name in steps}

        def measured(name: str, step: Callable[[], None]):
            def run() -> None:
                with PeakMemory(device) as memory:
                    step()
                peaks[name].append(memory.peak_growth())
            return run

        times = time_alternating(
            {name: measured(name, step)
             for name, step in steps.items()}, args.reps, device)
        report(f'training step (batch {args.train_batch}, '
               f'{args.train_instances} prompted instances per image, '
               'AdamW)', {name: [t / args.train_batch for t in values]
                          for name, values in times.items()}, 1,
               'images/s', 'ours / theirs')
        for name, values in peaks.items():
            # The warm-up step also allocates the optimizer state: not counted.
            timed = [v for v in values[1:] if v is not None]
            if timed:
                print(f'  peak memory growth during a step, {name}: '
                      f'{max(timed) / 2**30:.2f} GiB')
    print(f'load average (1/5/15 min) after: {load_average()}')


if __name__ == '__main__':
    main()
