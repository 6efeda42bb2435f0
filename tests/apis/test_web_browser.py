"""tools/demo/web_demo.py in a real browser: headless Chromium (Debian's package,
driven by Playwright) uploads images, clicks on a lesion and downloads the mask.

Set ULTRASAM_WEB_DEMO_SCREENSHOT=path.png to keep the screenshot (the README's
is made so)."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydicom.data import get_testdata_file

import ultrasam

REPO = Path(ultrasam.__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
if not Path(CHROMIUM).is_file():
    pytest.skip('Chromium is not installed (Debian: apt-get install chromium; '
                '.ci/run installs it)', allow_module_level=True)
sync_api = pytest.importorskip(
    'playwright.sync_api', reason='playwright is not installed '
    '(requirements/tests.txt)')
pytest.importorskip('fastapi', reason='the web demo needs requirements/demo.txt')

# The flags of a disposable headless browser: no GPU, no first-run pages, no
# background traffic (updates, sync, component downloads).
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync'
]
# One interior click gives the demo model a mean Dice of 0.913 on the test
# phantoms; 0.8 leaves room for a lesion that is harder than average.
MIN_CLICK_DICE = 0.8
SERVER_START_TIMEOUT_S = 120
UI_TIMEOUT_MS = 60_000


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / (a.sum() + b.sum()))


def interior_point(mask: np.ndarray) -> tuple:
    """The lesion pixel farthest from its border, (x, y)."""
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(np.argmax(distance), mask.shape)
    return int(x), int(y)


@pytest.fixture(scope='module')
def server_url(phantom_config, demo_checkpoint, tmp_path_factory):
    """The web demo on 127.0.0.1, on a port the OS picked (it prints it).

    Its output goes to a file: a pipe nobody reads could fill and block it.
    """
    log_file = tmp_path_factory.mktemp('server') / 'web_demo.log'
    with open(log_file, 'w') as log:
        process = subprocess.Popen(
            [sys.executable, 'tools/demo/web_demo.py', str(phantom_config),
             str(demo_checkpoint), '--host', '127.0.0.1', '--port', '0'],
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
            pytest.fail('web_demo.py did not start (exit code '
                        f'{process.poll()}):\n{log_file.read_text()}')
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(tmp_path):
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / 'profile'), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, accept_downloads=True,
            viewport=dict(width=1280, height=820))
        context.set_default_timeout(UI_TIMEOUT_MS)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def click_pixel(page, x: float, y: float, button: str = 'left') -> None:
    """Click the centre of image pixel (x, y) (negative: in the margin)."""
    canvas = page.locator('#canvas')
    box = canvas.bounding_box()
    scale = float(canvas.get_attribute('data-scale'))
    margin = float(canvas.get_attribute('data-margin'))
    width = float(canvas.evaluate('c => c.width'))
    css = box['width'] / width
    page.mouse.click(box['x'] + (margin + (x + 0.5) * scale) * css,
                     box['y'] + (margin + (y + 0.5) * scale) * css,
                     button=button)


def wait_predictions(page, count: int) -> None:
    page.wait_for_selector(f'body[data-predictions="{count}"]')


def upload(page, path_or_file) -> None:
    page.set_input_files('#file-input', path_or_file)


def expect_error(page, text: str) -> None:
    page.wait_for_selector('#message.error')
    assert text in page.inner_text('#message')


def test_click_to_segment_in_chromium(server_url, page, lesion_phantom,
                                      tmp_path):
    image, lesions = lesion_phantom
    page.goto(server_url)
    page.wait_for_selector('body[data-ready="1"]')
    # Bad uploads: a visible message, and the page goes on working.
    upload(page, dict(name='empty.png', mimeType='image/png', buffer=b''))
    expect_error(page, 'empty.png: empty file (0 bytes)')
    upload(page, dict(name='notes.txt', mimeType='text/plain',
                      buffer=b'not an image'))
    expect_error(page, 'notes.txt: not a decodable image')

    # A 30-frame DICOM cine loop: the frame slider appears and works.
    upload(page, get_testdata_file('examples_ybr_color.dcm'))
    page.wait_for_selector('#frame-control:not([hidden])')
    page.locator('#frame-slider').fill('5')
    page.wait_for_selector('body[data-frame="5"]')
    assert page.inner_text('#frame-label') == '6 / 30'

    phantom_file = tmp_path / 'phantom.png'
    cv2.imwrite(str(phantom_file), image)
    upload(page, str(phantom_file))
    page.wait_for_selector('#frame-control[hidden]', state='attached')
    click_pixel(page, *interior_point(lesions[0]))
    wait_predictions(page, 1)
    assert page.locator('#candidates button').count() == 3
    with page.expect_download() as download:
        page.click('#mask-link')
    mask_file = tmp_path / 'mask.png'
    download.value.save_as(mask_file)
    mask = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED) > 0
    assert mask.shape == lesions[0].shape
    assert dice(mask, lesions[0]) >= MIN_CLICK_DICE
    latency_ms = float(page.get_attribute('body', 'data-last-latency-ms'))
    print(f'click-to-overlay latency in Chromium: {latency_ms:.0f} ms')

    # A background (right) click outside the lesion, then undo.
    ys, xs = np.nonzero(lesions[0])
    click_pixel(page, int(xs.max()) + 6, int(ys.mean()), button='right')
    wait_predictions(page, 2)
    assert page.locator('#candidates button').count() == 1
    page.click('#undo-button')
    page.wait_for_function(
        "document.querySelectorAll('#candidates button').length === 3")
    page.click('#accept-button')
    page.wait_for_selector('#coco-link:not(.disabled)')

    # A click in the margin, outside the image: the server's reason shows.
    margin_px = float(page.get_attribute('#canvas', 'data-margin')) / float(
        page.get_attribute('#canvas', 'data-scale'))
    click_pixel(page, -margin_px / 2, 40)
    expect_error(page, 'is outside the 256x256')
    # A box dragged over the second lesion (the server keeps serving).
    ys, xs = np.nonzero(lesions[1])
    canvas = page.locator('#canvas').bounding_box()
    scale = float(page.get_attribute('#canvas', 'data-scale'))
    margin = float(page.get_attribute('#canvas', 'data-margin'))
    page.mouse.move(canvas['x'] + margin + (xs.min() - 2) * scale,
                    canvas['y'] + margin + (ys.min() - 2) * scale)
    page.mouse.down()
    page.mouse.move(canvas['x'] + margin + (xs.max() + 3) * scale,
                    canvas['y'] + margin + (ys.max() + 3) * scale, steps=5)
    page.mouse.up()
    wait_predictions(page, 3)
    page.wait_for_selector('#message.info')

    with page.expect_download() as download:
        page.click('#coco-link')
    coco_file = tmp_path / 'masks.json'
    download.value.save_as(coco_file)
    assert '"annotations"' in coco_file.read_text()
    screenshot = tmp_path / 'web_demo.png'
    page.screenshot(path=str(screenshot))
    assert cv2.imread(str(screenshot)).shape[:2] == (820, 1280)
    keep = os.environ.get('ULTRASAM_WEB_DEMO_SCREENSHOT')
    if keep:
        shutil.copyfile(screenshot, keep)
