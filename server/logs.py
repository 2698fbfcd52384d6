"""The server's log: one JSON object a line, each carrying the id of the request it was written for.

A log leaves the server (to journald, to a log shipper, to whoever helps the school), so nothing in it
may be personal or secret: messages name ids, counts and kinds, never a note, a key, a token, an
endpoint, a database URL or a client's address. An exception is logged by its type and its frames;
its message only if it is Lantern's own (a sentence written for the log, as `DatabaseProblem`'s), for
another library's can quote the data that caused it.
"""

from __future__ import annotations

import logging
import secrets
import traceback
from contextvars import ContextVar
from datetime import datetime, timezone

import msgspec

# The request being handled in this context (set by server/routes/observe.py); the request's
# threads (sync_to_thread) inherit it, the push workers' threads do not.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Where Lantern's own exceptions are defined: their messages are sentences that quote nothing.
OWN_PACKAGES = {"server", "sync"}


def new_request_id() -> str:
    return secrets.token_hex(16)


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id"?, ...the record's `fields`, "traceback"?}"""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
            + f"{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id.get()) is not None:
            line["request_id"] = rid
        line.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            kind, exc, tb = record.exc_info
            said = f": {exc}" if kind.__module__.partition(".")[0] in OWN_PACKAGES else ""
            line["traceback"] = "Traceback (most recent call last):\n" + "".join(traceback.format_tb(tb)) + kind.__name__ + said
        return msgspec.json.encode(line).decode()


# For logging.config.dictConfig, once, as `lantern serve` starts. Lantern's own logger and uvicorn's
# say what the server does (info); other libraries only what goes wrong (warning): some log a full
# URL at info, and a push endpoint is a device's address. uvicorn's access log is off (cli.serve):
# it prints client addresses and raw paths, and server/routes/observe.py writes the access line.
CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {"lantern": {"level": "INFO"}, "uvicorn.error": {"level": "INFO"}},
}
