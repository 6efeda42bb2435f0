"""FastAPI app of the click-to-segment web demo (``tools/demo/web_demo.py``).

The page (``web_static/``) uploads an image, sends every click or dragged
box as one request and draws the returned overlays; all state lives in an
:class:`InteractiveSession` on the server. Errors are JSON
``{"detail": "one line"}`` with status 400 (bad input), 404 (unknown
session), 413 (upload too large) or 500; the server keeps serving.
"""
import base64
import re
import secrets
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Dict, TypeVar

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from .embedding_cache import ImageEmbeddingCache
from .image_upload import MAX_IMAGE_PIXELS
from .interactive_session import InteractiveSession
from .mask_drawing import encode_png, mask_layer
from .predictor import UltraSamPredictor

STATIC_DIR = Path(__file__).with_name('web_static')
#: Largest upload accepted (a multi-frame DICOM cine loop can be large).
MAX_UPLOAD_BYTES = 512 * 2**20
# Candidate overlays (RGB) and the accepted masks' overlay colour.
CANDIDATE_COLOR = (30, 144, 255)
ACCEPTED_COLOR = (50, 205, 50)

T = TypeVar('T')


class Point(BaseModel):
    """A click: (x, y) image pixels, label 1 positive / 0 negative."""
    x: float
    y: float
    label: int


class Box(BaseModel):
    """A dragged box: two corners in image pixels, in any order."""
    x1: float
    y1: float
    x2: float
    y2: float


class Index(BaseModel):
    """A frame or candidate index."""
    index: int


def overlay_url(masks: np.ndarray, color: tuple) -> str:
    """``data:`` URL of the transparent PNG layer of ``masks`` in one colour,
    for an <img> without another request."""
    png = encode_png(mask_layer(masks, [color] * len(masks)))
    return 'data:image/png;base64,' + base64.b64encode(png).decode('ascii')


def attachment(filename: str, suffix: str) -> Dict[str, str]:
    """Content-Disposition of a download named after the uploaded file (its
    stem reduced to safe characters)."""
    stem = re.sub(r'[^A-Za-z0-9._-]+', '_', Path(filename).stem) or 'image'
    return {'Content-Disposition': f'attachment; filename="{stem}{suffix}"'}


class SessionStore:
    """The sessions of the server, the least recently used dropped first.

    Args:
        cache (ImageEmbeddingCache): Shared by all sessions.
        max_sessions (int): Sessions kept (each holds its uploaded file).
        max_pixels (int): Largest frame accepted, in pixels.
    """

    def __init__(self, cache: ImageEmbeddingCache, max_sessions: int,
                 max_pixels: int) -> None:
        self.cache = cache
        self.max_sessions = max_sessions
        self.max_pixels = max_pixels
        # One model and one predictor state: requests take turns.
        self.lock = threading.Lock()
        self._sessions: 'OrderedDict[str, InteractiveSession]' = OrderedDict()

    def create(self, data: bytes, filename: str) -> str:
        """A new session for an uploaded file; returns its id."""
        with self.lock:
            session = InteractiveSession(data, filename, self.cache,
                                         self.max_pixels)
            session_id = secrets.token_urlsafe(12)
            self._sessions[session_id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
            return session_id

    def run(self, session_id: str,
            action: Callable[[InteractiveSession], T]) -> T:
        """``action(session)`` under the lock; unknown ids are a 404."""
        with self.lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise HTTPException(
                    404, f'unknown or expired session {session_id!r:.40}: '
                    'open the image again')
            self._sessions.move_to_end(session_id)
            return action(session)


def session_state(session_id: str,
                  session: InteractiveSession) -> Dict[str, object]:
    """JSON state the page renders: image, prompts, candidates, accepted."""
    prediction = session.prediction
    candidates = []
    if prediction is not None:
        candidates = [
            dict(iou=round(float(iou), 4), area=int(mask.sum()),
                 overlay=overlay_url(mask[None], CANDIDATE_COLOR))
            for mask, iou in zip(prediction.masks, prediction.ious)
        ]
    on_frame = [i for i, a in enumerate(session.accepted)
                if a.frame == session.frame]
    accepted_overlay = None
    if on_frame:
        masks = np.stack([session.accepted_mask(i) for i in on_frame])
        accepted_overlay = overlay_url(masks, ACCEPTED_COLOR)
    return dict(
        session=session_id,
        filename=session.filename,
        width=session.width,
        height=session.height,
        num_frames=session.num_frames,
        frame=session.frame,
        prompts=session.prompts,
        candidates=candidates,
        selected=None if prediction is None else prediction.selected,
        decode_ms=None if prediction is None else round(
            prediction.decode_ms, 1),
        measurements=session.measurements(),
        accepted=[
            dict(frame=a.frame, predicted_iou=round(a.predicted_iou, 4))
            for a in session.accepted
        ],
        accepted_overlay=accepted_overlay,
        encode_ms=round(session.encode_ms, 1),
        embedding_cache=dict(hits=session.cache.hits,
                             misses=session.cache.misses))


async def read_upload(request: Request, max_bytes: int) -> bytes:
    """The request body, refused (413) past ``max_bytes``."""
    declared = request.headers.get('content-length')
    if declared is not None and declared.isdigit() and \
            int(declared) > max_bytes:
        raise HTTPException(
            413, f'the upload of {int(declared) / 2**20:.1f} MiB exceeds the '
            f'limit of {max_bytes / 2**20:g} MiB')
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise HTTPException(
                413, f'the upload exceeds the limit of '
                f'{max_bytes / 2**20:g} MiB')
        chunks.append(chunk)
    return b''.join(chunks)


def create_app(predictor: UltraSamPredictor,
               model_name: str = 'UltraSam',
               max_pixels: int = MAX_IMAGE_PIXELS,
               max_upload_bytes: int = MAX_UPLOAD_BYTES,
               max_sessions: int = 8,
               max_cached_embeddings: int = 16) -> FastAPI:
    """The web demo's FastAPI app around one predictor.

    Args:
        predictor (UltraSamPredictor): The model to run.
        model_name (str): Shown on the page (e.g. the config name).
        max_pixels (int): Largest frame accepted, in pixels.
        max_upload_bytes (int): Largest upload accepted, in bytes.
        max_sessions (int): Open images kept on the server.
        max_cached_embeddings (int): Image embeddings kept
            (:class:`ImageEmbeddingCache`).

    Returns:
        FastAPI: Serve it with uvicorn.
    """
    store = SessionStore(
        ImageEmbeddingCache(predictor, max_cached_embeddings), max_sessions,
        max_pixels)
    app = FastAPI(title='UltraSam web demo', docs_url=None, redoc_url=None)
    app.state.sessions = store
    app.mount('/static', StaticFiles(directory=STATIC_DIR), name='static')

    @app.exception_handler(RequestValidationError)
    async def one_line_validation_error(
            request: Request, err: RequestValidationError) -> JSONResponse:
        problems = '; '.join(
            f'{".".join(str(p) for p in e["loc"][1:]) or "body"}: {e["msg"]}'
            for e in jsonable_encoder(err.errors()))
        return JSONResponse(
            status_code=400, content=dict(detail=f'bad request: {problems}'))

    @app.exception_handler(RuntimeError)
    async def model_failure(request: Request,
                            err: RuntimeError) -> JSONResponse:
        # E.g. non-finite predictions of broken weights: say so on the page.
        return JSONResponse(status_code=500,
                            content=dict(detail=f'model error: {err}'))

    def call(session_id: str,
             action: Callable[[InteractiveSession], object]
             ) -> Dict[str, object]:
        """Run ``action`` on a session; its new state, with the time the
        server spent (``server_ms``). Bad input is a 400 with the reason."""
        def act(session: InteractiveSession) -> Dict[str, object]:
            action(session)
            return session_state(session_id, session)

        start = time.perf_counter()
        try:
            state = store.run(session_id, act)
        except (ValueError, TypeError) as err:
            raise HTTPException(400, str(err)) from err
        state['server_ms'] = round((time.perf_counter() - start) * 1e3, 1)
        return state

    @app.get('/', include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / 'index.html')

    @app.get('/api/info')
    def info() -> Dict[str, object]:
        model = predictor.model
        return dict(
            model=model_name,
            input_size=list(model.input_size),
            multimask_output=model.test_cfg['multimask_output'],
            device=str(predictor.device),
            max_pixels=max_pixels,
            max_upload_mib=max_upload_bytes / 2**20)

    @app.post('/api/sessions')
    async def open_image(request: Request,
                         filename: str = 'upload') -> Dict[str, object]:
        data = await read_upload(request, max_upload_bytes)
        try:
            session_id = await run_in_threadpool(store.create, data, filename)
        except (ValueError, TypeError) as err:
            raise HTTPException(400, str(err)) from err
        return await run_in_threadpool(call, session_id, lambda s: None)

    @app.get('/api/sessions/{session_id}/image.png')
    def frame_png(session_id: str) -> Response:
        png = store.run(session_id, lambda s: encode_png(s.image))
        return Response(png, media_type='image/png',
                        headers={'Cache-Control': 'no-store'})

    @app.post('/api/sessions/{session_id}/frame')
    def set_frame(session_id: str, body: Index) -> Dict[str, object]:
        return call(session_id, lambda s: s.set_frame(body.index))

    @app.post('/api/sessions/{session_id}/points')
    def add_point(session_id: str, body: Point) -> Dict[str, object]:
        return call(session_id,
                    lambda s: s.add_point(body.x, body.y, body.label))

    @app.post('/api/sessions/{session_id}/box')
    def add_box(session_id: str, body: Box) -> Dict[str, object]:
        return call(session_id,
                    lambda s: s.add_box(body.x1, body.y1, body.x2, body.y2))

    @app.post('/api/sessions/{session_id}/select')
    def select(session_id: str, body: Index) -> Dict[str, object]:
        return call(session_id, lambda s: s.select(body.index))

    @app.post('/api/sessions/{session_id}/undo')
    def undo(session_id: str) -> Dict[str, object]:
        return call(session_id, lambda s: s.undo())

    @app.post('/api/sessions/{session_id}/reset')
    def reset(session_id: str) -> Dict[str, object]:
        return call(session_id, lambda s: s.reset())

    @app.post('/api/sessions/{session_id}/accept')
    def accept(session_id: str) -> Dict[str, object]:
        return call(session_id, lambda s: s.accept())

    @app.get('/api/sessions/{session_id}/mask.png')
    def mask_png(session_id: str) -> Response:
        def selected_mask(session: InteractiveSession) -> Response:
            if session.prediction is None:
                raise HTTPException(
                    400, 'no mask yet: click on the image first')
            png = encode_png(session.prediction.mask.astype(np.uint8) * 255)
            return Response(png, media_type='image/png', headers=attachment(
                session.filename, '_mask.png'))

        return store.run(session_id, selected_mask)

    @app.get('/api/sessions/{session_id}/coco.json')
    def coco_json(session_id: str) -> JSONResponse:
        return store.run(session_id, lambda s: JSONResponse(
            s.coco(), headers=attachment(s.filename, '_masks.json')))

    return app
