"""`ftscope serve`: Slack's HTTP endpoint under uvicorn, or a Socket Mode connection."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.runtime import SlackRuntime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# uvicorn's grace period on SIGTERM: in-flight turns wait on Claude for up to ~30 s.
GRACEFUL_SHUTDOWN_S = 35


def asgi_app(runtime: SlackRuntime) -> Starlette:
    async def slack_events(request: Request) -> Response:
        stamp = request.headers.get("x-slack-request-timestamp", "")
        if not stamp.isdigit():  # slack_sdk's verifier would raise on it (a 500): it's forged
            return Response("invalid request", status_code=401)
        body = await request.body()
        # Bolt's sync dispatch verifies, acks and queues; off the event loop, so one slow
        # request never holds up the others.
        response = await run_in_threadpool(runtime.app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def healthz(_request: Request) -> Response:
        healthy = await run_in_threadpool(runtime.store.ping)
        body = {"status": "ok" if healthy else "database unreachable"}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        runtime.start_background()
        yield
        log.info("shutting down: finishing in-flight turns")
        await run_in_threadpool(runtime.stop)

    return Starlette(
        routes=[
            Route(EVENTS_PATH, slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve_http(runtime: SlackRuntime, host: str, port: int) -> None:
    uvicorn.run(
        asgi_app(runtime),
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips="*",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        access_log=False,
        log_config=None,  # uvicorn's lines go through our (JSON, masked) root handler too
    )


def serve_socket_mode(runtime: SlackRuntime, app_token: str) -> None:
    """Connect out to Slack until SIGTERM or SIGINT, then finish in-flight turns."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    handler = SocketModeHandler(runtime.app, app_token)
    runtime.start_background()
    handler.connect()
    try:
        stop.wait()
    finally:
        log.info("shutting down: closing the socket, then finishing in-flight turns")
        handler.close()  # no new events while the last turns finish
        runtime.stop()
