"""The gateway's API process, started by ``recourse serve``'s supervisor (``scripts.serve_supervisor``).

``python -m scripts.serve_api --fd N --ready-fd M``: serves the gateway (FastAPI + uvicorn with uvloop
and httptools) on the listening socket inherited as file descriptor ``N``, and writes one line to the
pipe ``M``: ``ready`` once the gateway is started (database migrated, chain checked, background process
running, socket served), or ``error <what and how to fix it>`` when start-up fails, then exits 1. The
application's lifespan runs here rather than inside uvicorn, so that a start-up failure is an exception
this module turns into that one line instead of uvicorn's logged traceback.

It asks the kernel to SIGKILL it when the supervisor dies (``PR_SET_PDEATHSIG``), so no API process
outlives a killed supervisor; its own background process then exits by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Generator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

from scripts.serve_supervisor import SUPERVISOR_PID_ENV

if TYPE_CHECKING:
    from node_api.settings import GatewaySettings

__all__ = ["main", "startup_error_line"]

logger = logging.getLogger(__name__)

#: where, under the data dir, the traceback of the last start-up failure is kept
TRACEBACK_FILE = "serve-startup-error.txt"
#: ``prctl`` option: the signal this process gets when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """SIGKILL this process when the supervisor dies; exit now if it already has."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:  # pragma: no cover - Linux always accepts it
        logger.warning("serve.api.pdeathsig_failed errno=%s", ctypes.get_errno())
    expected = os.environ.get(SUPERVISOR_PID_ENV)
    if expected is not None and os.getppid() != int(expected):
        os._exit(1)  # the supervisor died before the request took effect


class _ApiServer(uvicorn.Server):
    """uvicorn's server, which reports readiness and leaves signal handling to :func:`_serve`."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # the handlers are installed by _serve for the whole life of the process (the lifespan included)
        # and, unlike uvicorn's, do not re-raise the signal once the server has stopped
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_ready()


async def _serve(settings: GatewaySettings, sock: socket.socket, on_ready: Callable[[], None]) -> None:
    from node_api.app import create_app

    server: _ApiServer | None = None
    stop: list[int] = []

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop.append(sig)
        if server is not None:
            server.handle_exit(sig, frame)  # SIGINT twice: stop at once (uvicorn's force exit)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
        lifespan="off",  # run below, so that its failure is an exception here
        timeout_graceful_shutdown=settings.api.graceful_shutdown,
    )
    server = _ApiServer(config, on_ready)
    async with app.router.lifespan_context(app):
        if stop:  # asked to stop while starting: shut down without serving
            return
        await server.serve(sockets=[sock])


def startup_error_line(exc: BaseException, settings: GatewaySettings | None) -> str:
    """What failed while the gateway started, and how to fix it, in one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from chain import ChainError
    from scripts.errors import error_line

    if isinstance(exc, SQLAlchemyError):
        url = "the database"
        if settings is not None:
            from sqlalchemy.engine import make_url

            url = f"the database {make_url(settings.db_url).render_as_string(hide_password=True)}"
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"cannot use {url}: {cause} (is it running? set RECOURSE_DB__URL)"
    if isinstance(exc, ChainError | ValueError | OSError | RuntimeError):  # pydantic's ValidationError too
        return error_line(exc)
    where = f" (traceback in {settings.data_dir / TRACEBACK_FILE})" if settings is not None else ""
    return f"the gateway failed to start: {exc.__class__.__name__}: {error_line(exc)}{where}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.serve_api", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="listening socket (inherited)")
    parser.add_argument("--ready-fd", type=int, required=True, help="pipe to report ready or error on")
    args = parser.parse_args(argv)
    _die_with_parent()
    # the gateway's own INFO lines (and its background process's, which takes this level) but not the
    # libraries' (alembic's migration chatter): a failed start shows only its one-line error
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("node_api").setLevel(logging.INFO)
    report = os.fdopen(args.ready_fd, "w", encoding="utf-8")

    def ready() -> None:
        report.write("ready\n")
        report.close()

    settings: GatewaySettings | None = None
    try:
        from node_api.settings import GatewaySettings

        settings = GatewaySettings()
        sock = socket.socket(fileno=args.fd)
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_serve(settings, sock, ready))
    except KeyboardInterrupt:
        sys.exit(0)  # stopped while starting
    except Exception as exc:  # noqa: BLE001 - every start-up failure becomes the supervisor's one line
        if report.closed:  # failed after it was ready: a crash, which the supervisor restarts
            raise
        line = startup_error_line(exc, settings)
        _keep_traceback(settings, exc)
        report.write(f"error {line}\n")
        report.close()
        sys.exit(1)


def _keep_traceback(settings: GatewaySettings | None, exc: BaseException) -> None:
    """The full traceback of a start-up failure, for whoever needs more than the line (debug level)."""
    logger.debug("serve.api.start_failed\n%s", "".join(traceback.format_exception(exc)))
    if settings is not None:
        with contextlib.suppress(OSError):
            path = Path(settings.data_dir) / TRACEBACK_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")


if __name__ == "__main__":
    main()
