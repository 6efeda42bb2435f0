"""Measure the web demo's click-to-overlay latency in headless Chromium.

Starts tools/demo/web_demo.py on 127.0.0.1 (a free port), opens it in Debian's
chromium through Playwright, uploads an image and clicks --clicks points on it, each
as the first click of a new object (Reset in between: three candidates to draw).
Click-to-overlay is measured by the page itself, from the mouse-up to the overlay
drawn on the canvas; the server's share and the decoder's are reported beside it.

Example:
    python tools/deployment/benchmark_web_demo.py configs/ultrasam/ultrasam_vitt_phantom.py \\
        work_dirs/demo/train/iter_1200.pth --clicks 20

Without --image a 512 x 512 phantom (seed 0) is used. The machine's load average
is printed with the figures: on a shared machine they depend on it.
"""
import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

from ultrasam.apis.cli_support import check_input_files

REPO = Path(__file__).resolve().parents[2]
PROG = 'benchmark_web_demo.py'
# A disposable headless browser: no GPU, no first-run pages, no background
# traffic (updates, sync, component downloads).
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'
]
SERVER_START_TIMEOUT_S = 300
UI_TIMEOUT_MS = 120_000


@contextlib.contextmanager
def running_web_demo(config: Path,
                     checkpoint: Path,
                     log_file: Path,
                     options: Sequence[str] = ()) -> Iterator[str]:
    """tools/demo/web_demo.py (with ``options``) on 127.0.0.1 and a port the
    OS picks; yields its URL and stops it on exit.

    Its output goes to ``log_file``: a pipe nobody reads could fill up and
    block the server.
    """
    with open(log_file, 'w') as log:
        process = subprocess.Popen(
            [sys.executable, 'tools/demo/web_demo.py', str(config),
             str(checkpoint), '--host', '127.0.0.1', '--port', '0',
             *options],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        match = None
        while match is None and process.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.2)
            match = re.search(r'serving .* on (http://127\.0\.0\.1:\d+)',
                              log_file.read_text())
        if match is None:
            raise RuntimeError(
                f'web_demo.py did not start (exit code {process.poll()}):\n'
                f'{log_file.read_text()}')
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def chromium_page(executable: str, profile_dir: Path,
                  width: int = 1280, height: int = 820) -> Iterator[object]:
    """A Playwright page in a fresh headless Chromium profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=executable, headless=True,
            args=CHROMIUM_ARGS, accept_downloads=True,
            viewport=dict(width=width, height=height))
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def canvas_position(page, x: float, y: float) -> tuple:
    """Page coordinates of image pixel (x, y)'s centre on the demo's canvas
    (negative pixels fall in the margin around the image)."""
    canvas = page.locator('#canvas')
    box = canvas.bounding_box()
    scale = float(canvas.get_attribute('data-scale'))
    margin = float(canvas.get_attribute('data-margin'))
    css = box['width'] / float(canvas.evaluate('c => c.width'))
    return (box['x'] + (margin + (x + 0.5) * scale) * css,
            box['y'] + (margin + (y + 0.5) * scale) * css)


def open_image(page, url: str, image: Path) -> float:
    """Load the page, upload ``image``; returns the encoder time (ms)."""
    page.goto(url)
    page.wait_for_selector('body[data-ready="1"]')
    page.set_input_files('#file-input', str(image))
    page.wait_for_selector('body[data-session]')
    return float(page.get_attribute('body', 'data-encode-ms'))


def measure_clicks(page, points: List[tuple]) -> List[dict]:
    """Click each point as the first prompt of an object; per click the
    page's click-to-overlay time and the server's and decoder's shares."""
    results = []
    for count, (x, y) in enumerate(points, 1):
        if count > 1:
            page.click('#reset-button')
            page.wait_for_function(
                "document.querySelectorAll('#candidates button').length "
                "=== 0")
        page.mouse.click(*canvas_position(page, x, y))
        page.wait_for_selector(f'body[data-predictions="{count}"]')
        results.append({
            name: float(page.get_attribute('body', f'data-last-{name}-ms'))
            for name in ('latency', 'server', 'decode')
        })
    return results


def phantom_image(path: Path) -> Path:
    """A 512 x 512 phantom (seed 0) as PNG."""
    import cv2
    import numpy as np

    from ultrasam.datasets import PhantomConfig, generate_phantom

    sample = generate_phantom(np.random.default_rng(0),
                              PhantomConfig(image_size=512))
    cv2.imwrite(str(path), sample.image)
    return path


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--image', help='image to click on (default: a '
                        '512 x 512 phantom)')
    parser.add_argument('--clicks', type=int, default=20)
    parser.add_argument(
        '--threads', type=int,
        help="the server's torch threads (web_demo.py --threads)")
    parser.add_argument('--chromium', default=shutil.which('chromium') or
                        '/usr/bin/chromium', help='Chromium executable')
    args = parser.parse_args(argv)
    check_input_files(parser, args, ('config', 'checkpoint', 'image',
                                     'chromium'))
    if args.clicks < 1:
        parser.error('--clicks must be >= 1')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        image = Path(args.image) if args.image else phantom_image(
            tmp / 'phantom.png')
        import cv2
        height, width = cv2.imread(str(image), cv2.IMREAD_UNCHANGED).shape[:2]
        # Points on a grid over the central 80% of the image.
        side = max(2, round(args.clicks**0.5))
        points = [(width * (0.1 + 0.8 * (i % side) / (side - 1)),
                   height * (0.1 + 0.8 * (i // side % side) / (side - 1)))
                  for i in range(args.clicks)]
        options = [] if args.threads is None else [
            '--threads', str(args.threads)]
        with running_web_demo(Path(args.config), Path(args.checkpoint),
                              tmp / 'server.log', options) as url, \
                chromium_page(args.chromium, tmp / 'profile') as page:
            encode_ms = open_image(page, url, image)
            results = measure_clicks(page, points)
    load_after = os.getloadavg()

    def summary(name: str) -> str:
        values = sorted(r[name] for r in results)
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        return f'median {statistics.median(values):.0f} ms, p90 {p90:.0f} ms'

    threads = 'default' if args.threads is None else args.threads
    print(f'{Path(args.config).stem} on {width}x{height}, {len(results)} '
          f'clicks, server torch threads: {threads}')
    print(f'image encoder (once per image): {encode_ms:.0f} ms')
    print(f'click -> overlay in Chromium: {summary("latency")}')
    print(f'server (decoder + overlays + JSON): {summary("server")}')
    print(f'prompt encoder + mask decoder: {summary("decode")}')
    print('load average (1 / 5 / 15 min) before: ' +
          ' / '.join(f'{v:.2f}' for v in load_before) + ', after: ' +
          ' / '.join(f'{v:.2f}' for v in load_after) +
          f' on {os.cpu_count()} CPUs')


if __name__ == '__main__':
    main()
