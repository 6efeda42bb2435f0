"""Click-to-segment web demo: serve a page to segment ultrasound images with UltraSam.

Example:
    python tools/demo/web_demo.py configs/ultrasam/ultrasam_vitt_phantom.py \\
        work_dirs/demo/train/iter_1200.pth --port 7860
    # then open http://127.0.0.1:7860 in a browser

Left click adds an object point, right click a background point, a drag a box;
the mask overlay updates after each prompt. Undo / Reset / Accept mask, a choice of
candidates with their predicted IoU, downloads of the mask (PNG) and of the accepted
masks (COCO JSON), and a frame slider for multi-frame DICOM files. Each image or
frame is encoded once (embeddings are cached by pixel content); a click runs only
the prompt encoder and mask decoder. Everything is served from this machine.
"""
import argparse
import socket
import sys
from pathlib import Path
from typing import List, NoReturn, Optional

import torch

from ultrasam.apis.cli_support import (add_device_arguments, check_device,
                                       check_input_files, load_predictor)
from ultrasam.apis.image_upload import MAX_IMAGE_PIXELS
from ultrasam.apis.web_app import MAX_UPLOAD_BYTES, create_app

PROG = 'web_demo.py'


def fail(message: str) -> NoReturn:
    """Exit with one line, as argparse does for bad arguments."""
    sys.exit(f'{PROG}: error: {message}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='address to listen on (default 127.0.0.1: this machine only)')
    parser.add_argument(
        '--port', type=int, default=7860,
        help='port (default 7860; 0 picks a free one, printed at start)')
    add_device_arguments(parser)
    parser.add_argument(
        '--threads', type=int,
        help='CPU threads of torch (default: its own choice, one per core); '
        '1 is often faster on a machine shared with other jobs')
    parser.add_argument(
        '--max-pixels', type=int, default=MAX_IMAGE_PIXELS,
        help=f'largest image (frame) accepted, in pixels (default '
        f'{MAX_IMAGE_PIXELS}, e.g. 5000 x 5000)')
    parser.add_argument(
        '--max-upload-mib', type=float, default=MAX_UPLOAD_BYTES / 2**20,
        help='largest upload accepted, in MiB (default %(default)g)')
    args = parser.parse_args(argv)
    check_input_files(parser, args, ('config', 'checkpoint'))
    if not 0 <= args.port < 65536:
        parser.error(f'--port must be in 0..65535, got {args.port}')
    if args.max_pixels < 1 or args.max_upload_mib <= 0:
        parser.error('--max-pixels and --max-upload-mib must be positive')
    check_device(parser, args.device)
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    return args


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (a busy port is a one-line error)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as err:
        fail(f'cannot listen on {host}:{port}: {err}')
    return sock


def main(argv: Optional[List[str]] = None) -> None:
    import uvicorn

    args = parse_args(argv)
    sock = listening_socket(args.host, args.port)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    predictor = load_predictor(PROG, args.config, args.checkpoint,
                               args.device, args.precision)
    app = create_app(
        predictor,
        model_name=Path(args.config).stem,
        max_pixels=args.max_pixels,
        max_upload_bytes=int(args.max_upload_mib * 2**20))
    host, port = sock.getsockname()[:2]
    print(f'{PROG}: serving {Path(args.config).stem} on '
          f'http://{host}:{port} (Ctrl+C stops)', flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning'))
    server.run(sockets=[sock])


if __name__ == '__main__':
    main()
