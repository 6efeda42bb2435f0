"""tools/demo/web_demo.py in a real browser: headless Chromium (Debian's package,
driven by Playwright) uploads images, clicks on a lesion and downloads the mask.

Set ULTRASAM_WEB_DEMO_SCREENSHOT=path.png to keep the screenshot (the README's
is made so)."""
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pydicom.data import get_testdata_file

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
if not Path(CHROMIUM).is_file():
    pytest.skip('Chromium is not installed (Debian: apt-get install chromium; '
                '.ci/run installs it)', allow_module_level=True)
pytest.importorskip(
    'playwright.sync_api', reason='playwright is not installed '
    '(requirements/tests.txt)')
pytest.importorskip('fastapi', reason='the web demo needs requirements/demo.txt')

# One interior click gives the demo model a mean Dice of 0.913 on the test
# phantoms; 0.8 leaves room for a lesion that is harder than average.
MIN_CLICK_DICE = 0.8
# The browser and server helpers (flags of a disposable headless Chromium,
# the server on a free port) are the latency benchmark's.
BENCHMARK = 'tools/deployment/benchmark_web_demo.py'


@pytest.fixture(scope='module')
def benchmark(load_script):
    return load_script(BENCHMARK)


@pytest.fixture(scope='module')
def server_url(benchmark, phantom_config, demo_checkpoint, tmp_path_factory):
    """The web demo on 127.0.0.1, on a port the OS picked; one torch thread
    (see the ``single_thread`` fixture)."""
    log_file = tmp_path_factory.mktemp('server') / 'web_demo.log'
    with benchmark.running_web_demo(phantom_config, demo_checkpoint,
                                    log_file, ['--threads', '1']) as url:
        yield url


@pytest.fixture
def page(benchmark, tmp_path):
    with benchmark.chromium_page(CHROMIUM, tmp_path / 'profile') as page:
        yield page


def wait_predictions(page, count: int) -> None:
    page.wait_for_selector(f'body[data-predictions="{count}"]')


def upload(page, path_or_file) -> None:
    page.set_input_files('#file-input', path_or_file)


def expect_error(page, text: str) -> None:
    page.wait_for_selector('#message.error')
    assert text in page.inner_text('#message')


def test_click_to_segment_in_chromium(benchmark, server_url, page,
                                      lesion_phantom, dice, tmp_path):
    image, lesions, clicks = lesion_phantom
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
    page.mouse.click(*benchmark.canvas_position(
        page, *clicks[0]))
    wait_predictions(page, 1)
    assert page.locator('#candidates button').count() == 3
    # A PNG has no pixel spacing: the measurements are in pixels.
    assert page.inner_text('#measurements').startswith('area ')
    assert 'no pixel spacing' in page.inner_text('#measurements')
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
    page.mouse.click(*benchmark.canvas_position(
        page, int(xs.max()) + 6, int(ys.mean())), button='right')
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
    page.mouse.click(*benchmark.canvas_position(page, -margin_px / 2, 40))
    expect_error(page, 'is outside the 256x256')
    # A box dragged over the second lesion (the server keeps serving).
    ys, xs = np.nonzero(lesions[1])
    page.mouse.move(*benchmark.canvas_position(page, xs.min() - 3,
                                               ys.min() - 3))
    page.mouse.down()
    page.mouse.move(*benchmark.canvas_position(page, xs.max() + 2,
                                               ys.max() + 2), steps=5)
    page.mouse.up()
    wait_predictions(page, 3)
    page.wait_for_selector('#message.info')
    page.click('#accept-button')
    page.wait_for_function(
        "document.querySelectorAll('#candidates button').length === 0")

    with page.expect_download() as download:
        page.click('#coco-link')
    coco_file = tmp_path / 'masks.json'
    download.value.save_as(coco_file)
    coco = json.loads(coco_file.read_text())
    assert len(coco['annotations']) == 2
    for annotation, lesion in zip(coco['annotations'], lesions):
        mask = mask_utils.decode(dict(
            size=annotation['segmentation']['size'],
            counts=annotation['segmentation']['counts'].encode()))
        assert dice(mask.astype(bool), lesion) >= MIN_CLICK_DICE

    # The next object's candidates, for the screenshot.
    page.mouse.click(*benchmark.canvas_position(page, *clicks[3]))
    wait_predictions(page, 4)
    screenshot = tmp_path / 'web_demo.png'
    page.screenshot(path=str(screenshot))
    assert cv2.imread(str(screenshot)).shape[:2] == (820, 1280)
    keep = os.environ.get('ULTRASAM_WEB_DEMO_SCREENSHOT')
    if keep:
        shutil.copyfile(screenshot, keep)
