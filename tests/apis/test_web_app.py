"""The web demo's HTTP API (ultrasam.apis.web_app) without a browser: clicks,
undo / reset / candidates / accept, downloads, the embedding cache, DICOM frames
and the messages for bad input."""
import socket
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pydicom.data import get_testdata_file

pytest.importorskip('fastapi', reason='the web demo needs requirements/demo.txt')
from fastapi.testclient import TestClient  # noqa: E402

from ultrasam.apis import UltraSamPredictor  # noqa: E402
from ultrasam.apis.web_app import create_app  # noqa: E402
from ultrasam.datasets.image_io import to_uint8  # noqa: E402

pytestmark = pytest.mark.usefixtures('single_thread')
# One interior click gives the demo model a mean Dice of 0.913 on the test
# phantoms; 0.8 leaves room for a lesion that is harder than average.
MIN_CLICK_DICE = 0.8


def png(image: np.ndarray) -> bytes:
    return cv2.imencode('.png', image)[1].tobytes()


def huge_png(width: int, height: int) -> bytes:
    """A valid, highly compressed black gray PNG of any size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))

    compressor = zlib.compressobj(9)
    row = b'\0' * (width + 1)
    data = b''.join(compressor.compress(row) for _ in range(64))
    data += compressor.flush()
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0,
                                       0)) + chunk(b'IDAT', data) +
            chunk(b'IEND', b''))


@pytest.fixture(scope='module')
def client(phantom_config, demo_checkpoint):
    predictor = UltraSamPredictor.from_config(phantom_config, demo_checkpoint)
    return TestClient(create_app(predictor, max_upload_bytes=2**20))


def open_image(client, data: bytes, filename: str) -> dict:
    response = client.post(f'/api/sessions?filename={filename}', content=data)
    assert response.status_code == 200, response.text
    return response.json()


def test_click_undo_select_accept_and_downloads(client, lesion_phantom,
                                                dice):
    image, lesions, clicks = lesion_phantom
    state = open_image(client, png(image), 'phantom.png')
    session = state['session']
    assert (state['width'], state['height'], state['num_frames']) == (256, 256,
                                                                      1)
    assert state['encode_ms'] > 0 and state['candidates'] == []

    x, y = clicks[0]
    state = client.post(f'/api/sessions/{session}/points',
                        json=dict(x=x, y=y, label=1)).json()
    # A single point is ambiguous: the model's three candidates, best first
    # selected.
    ious = [c['iou'] for c in state['candidates']]
    assert len(ious) == 3 and state['selected'] == int(np.argmax(ious))
    assert all(c['overlay'].startswith('data:image/png;base64,')
               for c in state['candidates'])
    mask_png = client.get(f'/api/sessions/{session}/mask.png')
    assert mask_png.headers['content-disposition'] == \
        'attachment; filename="phantom_mask.png"'
    mask = cv2.imdecode(np.frombuffer(mask_png.content, np.uint8),
                        cv2.IMREAD_UNCHANGED) > 0
    assert dice(mask, lesions[0]) >= MIN_CLICK_DICE
    first_mask = mask

    # A background click next to the lesion refines: one mask.
    ys, xs = np.nonzero(lesions[0])
    state = client.post(f'/api/sessions/{session}/points', json=dict(
        x=int(xs.max()) + 6, y=int(ys.mean()), label=0)).json()
    assert len(state['candidates']) == 1 and len(state['prompts']) == 2
    state = client.post(f'/api/sessions/{session}/undo').json()
    assert len(state['prompts']) == 1 and len(state['candidates']) == 3
    mask = cv2.imdecode(np.frombuffer(client.get(
        f'/api/sessions/{session}/mask.png').content, np.uint8), 0) > 0
    np.testing.assert_array_equal(mask, first_mask)

    other = (state['selected'] + 1) % 3
    state = client.post(f'/api/sessions/{session}/select',
                        json=dict(index=other)).json()
    assert state['selected'] == other
    state = client.post(f'/api/sessions/{session}/select',
                        json=dict(index=(other + 2) % 3)).json()
    state = client.post(f'/api/sessions/{session}/accept').json()
    assert state['prompts'] == [] and len(state['accepted']) == 1
    assert state['accepted_overlay'].startswith('data:image/png')

    # A box around the second lesion, dragged from bottom right to top left.
    ys, xs = np.nonzero(lesions[1])
    state = client.post(f'/api/sessions/{session}/box', json=dict(
        x1=int(xs.max()), y1=int(ys.max()), x2=int(xs.min()),
        y2=int(ys.min()))).json()
    assert state['prompts'][0]['x1'] == xs.min()
    assert len(state['candidates']) == 1
    client.post(f'/api/sessions/{session}/accept')
    coco = client.get(f'/api/sessions/{session}/coco.json').json()
    assert [a['id'] for a in coco['annotations']] == [1, 2]
    assert coco['images'] == [dict(id=1, file_name='phantom.png', frame=0,
                                   height=256, width=256)]
    box_mask = mask_utils.decode(dict(
        size=coco['annotations'][1]['segmentation']['size'],
        counts=coco['annotations'][1]['segmentation']['counts'].encode()))
    assert dice(box_mask.astype(bool), lesions[1]) >= MIN_CLICK_DICE
    assert coco['annotations'][1]['prompts'][0]['type'] == 'box'

    # Reset forgets the prompts of the current object only.
    client.post(f'/api/sessions/{session}/points', json=dict(x=x, y=y,
                                                             label=1))
    state = client.post(f'/api/sessions/{session}/reset').json()
    assert state['prompts'] == [] and len(state['accepted']) == 2


def test_embedding_cache_and_dicom_frames(client, lesion_phantom):
    image = lesion_phantom.image
    first = open_image(client, png(image), 'a.png')
    # The same pixels in another file: the embedding is reused.
    again = open_image(client, png(image), 'copy.png')
    assert again['encode_ms'] == 0
    assert again['embedding_cache']['hits'] > first['embedding_cache']['hits']
    # A 16-bit PNG is stretched from its own min / max to 8 bits, as in the
    # data pipeline; the same 8-bit pixels uploaded before share the
    # embedding.
    wide = image.astype(np.uint16) * 300
    stretched = open_image(client, png(to_uint8(wide, 'minmax')), '8bit.png')
    assert stretched['encode_ms'] > 0
    state = open_image(client, png(wide), '16bit.png')
    assert state['encode_ms'] == 0 and (state['width'],
                                        state['height']) == (256, 256)

    cine = Path(get_testdata_file('examples_ybr_color.dcm')).read_bytes()
    state = open_image(client, cine, 'cine.dcm')
    session = state['session']
    assert (state['num_frames'], state['width'], state['height']) == (30, 320,
                                                                      240)
    state = client.post(f'/api/sessions/{session}/points',
                        json=dict(x=160, y=120, label=1)).json()
    state = client.post(f'/api/sessions/{session}/frame',
                        json=dict(index=29)).json()
    assert state['frame'] == 29 and state['encode_ms'] > 0
    assert state['prompts'] == []  # prompts belong to a frame
    frame_png = client.get(f'/api/sessions/{session}/image.png').content
    assert cv2.imdecode(np.frombuffer(frame_png, np.uint8), 1).shape == (240,
                                                                        320,
                                                                        3)
    state = client.post(f'/api/sessions/{session}/frame',
                        json=dict(index=0)).json()
    assert state['encode_ms'] == 0  # frame 0 was encoded before
    response = client.post(f'/api/sessions/{session}/frame',
                           json=dict(index=30))
    assert response.status_code == 400
    assert 'frame must be an integer in 0..29' in response.json()['detail']


@pytest.mark.parametrize('data, filename, status, message', [
    (b'', 'empty.png', 400, 'empty.png: empty file (0 bytes), not an image'),
    (b'%PDF-1.4 not an image', 'report.pdf', 400, 'not a decodable image'),
    (huge_png(20000, 20000), 'huge.png', 400,
     'huge.png: a frame of 400.0 megapixels exceeds the limit of 25 '
     'megapixels; downscale or crop the image'),
    (huge_png(6000, 5000), 'large.png', 400,
     'large.png: a frame of 6000x5000 pixels (30.0 megapixels) exceeds the '
     'limit of 25 megapixels'),
    (b'\0' * (2**20 + 1), 'big.dcm', 413, 'exceeds the limit of 1 MiB'),
])
def test_bad_uploads_get_a_message(client, data, filename, status, message):
    response = client.post(f'/api/sessions?filename={filename}', content=data)
    assert response.status_code == status
    assert message in response.json()['detail']


def test_bad_prompts_get_a_message_and_the_server_keeps_serving(
        client, lesion_phantom):
    image = lesion_phantom.image
    session = open_image(client, png(image[:200]), 'crop.png')['session']
    base = f'/api/sessions/{session}'
    cases = [
        ('points', dict(x=300, y=10, label=1), 400,
         'point [300.0, 10.0] (x, y) is outside the 256x200'),
        ('points', dict(x=-1, y=10, label=0), 400, 'outside'),
        ('points', dict(x=10, y=10, label=2), 400,
         'point label must be 1 (positive) or 0'),
        ('points', dict(x='left', y=10, label=1), 400,
         'bad request: x: Input should be a valid number'),
        ('box', dict(x1=0, y1=0, x2=256, y2=10), 400, 'box [0.0, 0.0, 256.0'),
        ('undo', None, 400, 'nothing to undo'),
        ('accept', None, 400, 'no mask to accept'),
        ('select', dict(index=0), 400, 'no prediction yet'),
    ]
    for path, body, status, message in cases:
        response = client.post(f'{base}/{path}', json=body)
        assert response.status_code == status, (path, response.text)
        assert message in response.json()['detail'], response.json()
    assert client.get(f'{base}/mask.png').status_code == 400
    assert client.post('/api/sessions/expired/undo').status_code == 404
    # Nothing was recorded, and the next click works.
    state = client.post(f'{base}/points', json=dict(x=20, y=20,
                                                    label=1)).json()
    assert len(state['prompts']) == 1 and len(state['candidates']) == 3
    assert client.get('/').status_code == 200
    assert 'canvas' in client.get('/').text
    assert client.get('/static/app.js').status_code == 200


def test_broken_weights_are_reported_not_hidden(phantom_config,
                                                demo_checkpoint,
                                                lesion_phantom):
    predictor = UltraSamPredictor.from_config(phantom_config, demo_checkpoint)
    # Finite but overflowing weights (the predictor refuses NaN ones at
    # load): every mask logit becomes non-finite.
    predictor.model.mask_decoder.iou_prediction_head.layers[0].weight.data *= \
        1e38
    client = TestClient(create_app(predictor))
    session = open_image(client, png(lesion_phantom.image), 'p.png')['session']
    response = client.post(f'/api/sessions/{session}/points',
                           json=dict(x=20, y=20, label=1))
    assert response.status_code == 500
    assert response.json()['detail'].startswith(
        'model error: the model produced non-finite')
    assert client.get('/api/info').status_code == 200


def test_web_demo_cli_errors_are_one_line(phantom_config, demo_checkpoint,
                                          load_script, tmp_path, capsys):
    tool = load_script('tools/demo/web_demo.py')
    with pytest.raises(SystemExit):
        tool.main([str(phantom_config), str(tmp_path / 'missing.pth')])
    assert 'checkpoint file not found' in capsys.readouterr().err
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(SystemExit, match=r'web_demo.py: error: cannot build '
                       r'the model of .* the file is empty'):
        tool.main([str(phantom_config), str(empty), '--port', '0'])
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit, match=f'web_demo.py: error: cannot '
                           f'listen on 127.0.0.1:{port}'):
            tool.main([str(phantom_config), str(demo_checkpoint), '--port',
                       str(port)])
