"""The starlette application: one page, its static files, and one WebSocket per tab.

Each WebSocket gets its own :class:`~.session.Session` from the :class:`SessionManager` (at most
``max_sessions`` at once; the next tab is told so and closed). Two coroutines serve a tab:

- the *reader* validates every message (:func:`~.protocol.parse_message`); a bad one is answered
  with ``{"type": "error", "message", "field"}`` and the session carries on;
- the *trainer* loop, while playing, trains for a frame's time budget (at most to the end of
  the epoch) in a worker thread and sends the frame.
  Flow control: at most :data:`MAX_IN_FLIGHT` frames un-acknowledged by the page, so a slow tab
  slows its own training instead of queueing frames in memory.

When the tab closes the reader sees the disconnect, cancels the trainer and frees the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

import anyio
import numpy as np
from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from reglab.core.activations import ACTIVATIONS

from .datasets import DATASETS, FEATURES, feature_input, make_dataset
from .protocol import (
    LIMITS,
    OPTIMIZERS,
    REGULARIZATIONS,
    ProtocolError,
    parse_config,
    parse_message,
)
from .session import Session, TrainingDiverged
from .userdata import parse_csv, parse_points

__all__ = ["SessionManager", "create_app", "app_from_env", "options"]

log = logging.getLogger("reglab.playground")
STATIC = Path(__file__).parent / "static"
MAX_IN_FLIGHT = 2
MAX_FPS = 60.0  # one tab never trains faster than the page can draw
CLOSE_TRY_AGAIN = 1013


def _describe(err: Exception) -> str:
    """The page's text for an error: user errors as they are, anything else logged in full."""
    if isinstance(err, ProtocolError | TrainingDiverged | ValueError):
        return str(err)
    log.exception("playground: unexpected error in a session")
    return f"internal error ({type(err).__name__}: {err}); the session is still usable"


class SessionManager:
    """Bounded set of live sessions keyed by id."""

    def __init__(self, max_sessions: int = 32) -> None:
        self.max_sessions = max_sessions
        self.sessions: dict[str, Session] = {}

    def open(self) -> Session | None:
        if len(self.sessions) >= self.max_sessions:
            return None
        session = Session(uuid.uuid4().hex[:12])
        self.sessions[session.id] = session
        return session

    def close(self, session_id: str) -> None:
        self.sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self.sessions)


def _preview(name: str) -> list[list[float]]:
    """120 noise-free points of a data set for its thumbnail button."""
    X, y = make_dataset(name, 120, 0.0, 0)
    return np.column_stack([X, y]).round(2).tolist()


@functools.cache
def options() -> dict[str, Any]:
    """What the page may choose from (built from the registries, so it never goes stale)."""
    return {"datasets": [{"name": d.name, "label": d.label, "problem": d.problem,
                          "n_classes": d.n_classes, "preview": _preview(d.name)}
                         for d in DATASETS.values()],
            "features": [{"name": k, "label": v[0], "input": feature_input(k)}
                         for k, v in FEATURES.items()],
            "activations": sorted(ACTIVATIONS), "optimizers": list(OPTIMIZERS),
            "regularizations": list(REGULARIZATIONS), "limits": LIMITS}


class _Tab:
    """The two coroutines of one WebSocket and the state they share."""

    def __init__(self, ws: WebSocket, session: Session) -> None:
        self.ws, self.session = ws, session
        self.lock = asyncio.Lock()  # one worker-thread call on the session at a time
        self.play = asyncio.Event()
        self.acked = asyncio.Event()
        self.sent = self.acked_no = 0
        self.closed = False
        self.scope: anyio.CancelScope | None = None  # cancels reader and trainer together

    async def send(self, msg: dict[str, Any]) -> None:
        """Send, or, once the tab has gone, end both coroutines quietly (a closed tab is normal,
        and whichever of reader and trainer notices first must not turn it into an error)."""
        if self.closed:
            return
        try:
            await self.ws.send_text(json.dumps(msg, allow_nan=False))
        except (WebSocketDisconnect, RuntimeError):  # RuntimeError: starlette's "disconnected"
            self.closed = True
            if self.scope is not None:
                self.scope.cancel()

    async def call(self, fn, *args) -> Any:
        async with self.lock:
            return await anyio.to_thread.run_sync(fn, *args)

    async def send_frame(self, frame: dict[str, Any]) -> None:
        self.sent = frame["frame"]
        self.acked.clear()
        await self.send(frame)

    async def error(self, message: str, field: str | None = None) -> None:
        await self.send({"type": "error", "message": message, "field": field})

    async def set_playing(self, playing: bool) -> None:
        self.session.playing = playing
        (self.play.set if playing else self.play.clear)()
        await self.send({"type": "state", "playing": playing})

    async def trainer(self) -> None:
        """While playing: train for one frame's time budget, send the frame; honour acks."""
        while True:
            await self.play.wait()
            while self.sent - self.acked_no >= MAX_IN_FLIGHT:
                await self.acked.wait()
                self.acked.clear()
            if not self.play.is_set():
                continue
            started = time.perf_counter()
            try:
                frame = await self.call(self.session.play_frame)
            except Exception as err:  # a tab's failure must not end the server
                await self.set_playing(False)
                field = "learning_rate" if isinstance(err, TrainingDiverged) else None
                await self.error(_describe(err), field)
                continue
            await self.send_frame(frame)
            await asyncio.sleep(max(0.0, 1.0 / MAX_FPS - (time.perf_counter() - started)))

    async def handle(self, msg: dict[str, Any]) -> None:
        kind, s = msg["type"], self.session
        if kind == "ack":
            self.acked_no = max(self.acked_no, min(msg["frame"], self.sent))
            self.acked.set()
        elif kind in ("play", "pause"):
            if kind == "play":
                # A new stream starts: frames sent before it (replies to config, step, reset)
                # no longer count as in flight, so a client that never acked them cannot stall.
                self.acked_no = self.sent
                self.acked.set()
            await self.set_playing(kind == "play")
        elif kind == "step":
            await self.set_playing(False)
            await self.send_frame(await self.call(s.advance, 1))
        elif kind == "reset":
            await self.call(s.reset)
            await self.send_frame(await self.call(s.frame))
        else:
            if kind == "config":
                config = parse_config(msg["config"], custom_available=s.user is not None)
                await self.call(s.configure, config)
            elif kind == "upload":
                await self.call(lambda: s.set_user_data(parse_csv(msg["csv"])))
            else:
                await self.call(lambda: s.set_user_data(parse_points(msg.get("points"),
                                                                     msg.get("problem"))))
            await self.send(await self.call(s.data_message))
            await self.send_frame(await self.call(s.frame))

    async def reader(self) -> None:
        while True:
            try:
                event = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):  # gone while we were sending
                return
            if event["type"] == "websocket.disconnect" or self.closed:
                return
            raw = event.get("text") if event.get("text") is not None else event.get("bytes", b"")
            try:
                await self.handle(parse_message(raw))
            except WebSocketDisconnect:
                return
            except Exception as err:  # answered on the page, never a crash
                await self.error(_describe(err), getattr(err, "field", None))


async def _websocket(ws: WebSocket) -> None:
    manager: SessionManager = ws.app.state.manager
    await ws.accept()
    session = manager.open()
    if session is None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await ws.send_text(json.dumps({"type": "error", "field": None, "message":
                                           f"the server is full ({manager.max_sessions} "
                                           "sessions); close another tab and reload"}))
            await ws.close(CLOSE_TRY_AGAIN)
        return
    tab = _Tab(ws, session)
    try:
        await tab.send({"type": "hello", "session": session.id, "options": options()})
        await tab.send(session.data_message())
        await tab.send_frame(session.frame())
        # A task group (not a bare asyncio task) so that cancelling the connection from outside
        # (server shutdown) and ending it from inside (tab closed) both stop the trainer.
        async with anyio.create_task_group() as group:
            tab.scope = group.cancel_scope
            group.start_soon(tab.trainer)
            await tab.reader()
            group.cancel_scope.cancel()
    finally:
        manager.close(session.id)


async def _index(request) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _options(request) -> JSONResponse:
    return JSONResponse(options())


def create_app(max_sessions: int = 32) -> Starlette:
    """The playground app; ``app.state.manager`` holds the live sessions."""
    app = Starlette(routes=[
        Route("/", _index),
        Route("/api/options", _options),
        WebSocketRoute("/ws", _websocket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ])
    app.state.manager = SessionManager(max_sessions)
    return app


def app_from_env() -> Starlette:
    """App factory for uvicorn worker processes: the session cap comes from the environment
    (``REGLAB_PLAYGROUND_MAX_SESSIONS``, default 32)."""
    raw = os.environ.get("REGLAB_PLAYGROUND_MAX_SESSIONS", "32")
    try:
        cap = int(raw)
    except ValueError:
        raise ValueError(f"REGLAB_PLAYGROUND_MAX_SESSIONS={raw!r} is not an integer") from None
    return create_app(max(cap, 1))
