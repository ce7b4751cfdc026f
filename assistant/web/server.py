"""Running the web app under uvicorn: in this process, or in several worker processes started from
the app factory import string, with the JSON access lines of ``web.access_log`` in place of uvicorn's.

Owns the workers' listening socket. uvicorn (0.54) binds it without ``IPPROTO_TCP``; accepted
connections inherit that, asyncio then leaves Nagle's algorithm on, and every keep-alive request
after the first waits about 40 ms for the client's delayed ACK (uvicorn issue #3149; measured here:
/healthz 48 ms with two workers against 3 ms with one). The socket is re-made with the protocol set,
so workers' connections get TCP_NODELAY as the single-process path's do.
"""

from __future__ import annotations

import copy
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from assistant.web.access_log import LOGGER as ACCESS_LOGGER
from assistant.web.factory import IMPORT_STRING


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the access lines as bare JSON lines on stdout in place of uvicorn's own
    and the app's messages (index reloads…) on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["access_json"] = {
        "formatter": "json_line", "class": "logging.StreamHandler", "stream": "ext://sys.stdout",
    }
    config["loggers"]["assistant"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {"handlers": ["access_json"], "level": "INFO", "propagate": False}
    return config


def _options(host: str, port: int) -> dict[str, Any]:
    return {"host": host, "port": port, "log_config": log_config(), "access_log": False}


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket uvicorn would bind for its workers, with its protocol said to be TCP."""
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    tcp = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    tcp.set_inheritable(True)  # handed to the worker processes
    return tcp


def run_here(app: FastAPI, host: str, port: int) -> None:
    """Serve the app from this process until interrupted."""
    uvicorn.run(app, **_options(host, port))


def run_workers(workers: int, host: str, port: int) -> None:
    """Serve from ``workers`` processes, each building its app from the factory, until interrupted;
    a worker that dies is replaced, one that fails to start stops them all."""
    config = uvicorn.Config(IMPORT_STRING, factory=True, workers=workers, **_options(host, port))
    Multiprocess(config, sockets=[listening_socket(config)]).run()
