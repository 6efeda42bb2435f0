"""The web demo's building blocks without HTTP: the embedding cache gives the
predictor exactly the state set_image would, and a session's steps undo cleanly."""
import cv2
import numpy as np
import pytest

from ultrasam.apis import (ImageEmbeddingCache, InteractiveSession,
                           UltraSamPredictor, rle_to_mask)
from ultrasam.apis.embedding_cache import image_key

pytestmark = pytest.mark.usefixtures('single_thread')


@pytest.fixture(scope='module')
def predictor(phantom_config, demo_checkpoint):
    return UltraSamPredictor.from_config(phantom_config, demo_checkpoint)


def test_cache_restores_the_embedding_and_evicts_the_oldest(predictor):
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (120, 90, 3), dtype=np.uint8)
    second = rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)
    cache = ImageEmbeddingCache(predictor, max_entries=1)
    points, labels = np.array([[40., 50]]), np.array([1])
    assert cache.set_image(first) is False
    reference = predictor.predict(points, labels, return_logits=True)
    assert cache.set_image(first) is True and cache.hits == 1
    assert cache.set_image(second) is False  # evicts `first`
    assert predictor.original_size == (100, 100)
    assert len(cache) == 1 and image_key(first) not in cache
    assert cache.set_image(first) is False and cache.misses == 3
    cache.set_image(first)
    for got, want in zip(predictor.predict(points, labels,
                                           return_logits=True), reference):
        np.testing.assert_array_equal(got, want)
    # The key is the content: dtype and shape count, not only the bytes.
    assert image_key(first) != image_key(first.reshape(90, 120, 3))
    assert image_key(first) != image_key(first.astype(np.uint16))
    with pytest.raises(ValueError, match='max_entries must be >= 1'):
        ImageEmbeddingCache(predictor, max_entries=0)


def test_session_steps(predictor, lesion_phantom, dice):
    image, lesions, clicks = lesion_phantom
    data = cv2.imencode('.png', image)[1].tobytes()
    session = InteractiveSession(data, 'phantom.png',
                                 ImageEmbeddingCache(predictor))
    assert (session.height, session.width, session.num_frames) == (256, 256, 1)
    first = session.add_point(*clicks[2], 1)
    assert len(first.ious) == 3 and first.selected == int(first.ious.argmax())
    assert dice(first.mask, lesions[2]) >= 0.8
    second = session.add_point(*clicks[3], 1)  # two objects in one mask
    assert len(second.ious) == 1 and second.mask.sum() > first.mask.sum()
    assert session.undo() is first and session.prediction is first
    with pytest.raises(ValueError, match='outside the 256x256'):
        session.add_point(256, 3, 0)
    assert len(session.prompts) == 1  # the refused click left no trace
    with pytest.raises(ValueError, match=r'candidate must be an integer in '
                       r'0\.\.2, got 3'):
        session.select(3)
    accepted = session.accept()
    assert session.prompts == [] and session.prediction is None
    np.testing.assert_array_equal(rle_to_mask(accepted.rle), first.mask)
    with pytest.raises(ValueError, match='no mask to accept'):
        session.accept()
    with pytest.raises(ValueError, match='must be finite'):
        session.add_box(0, 0, float('nan'), 10)
    coco = session.coco()
    assert coco['annotations'][0]['score'] == pytest.approx(
        float(first.ious[first.selected]))
    assert coco['categories'] == [dict(id=1, name='object')]
