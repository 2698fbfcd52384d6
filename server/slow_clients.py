"""Deadlines for a request to arrive (docs/admin.md, "When the server will not start, or stops
storing"): uvicorn waits as long as a client likes for a request's head and body, so a client that
sends a byte every few seconds (slowloris), or drips its body, holds a connection, and its memory, for
ever; a few hundred of them and nobody else is served. This is uvicorn's httptools protocol with two
deadlines: the head whole within `head_seconds` of the connection (or of the last answer on it), and
the body within the same grace plus its length at `body_bytes_per_second`. A head that misses it is
answered 408 `request_timeout` and the connection closed; a body that misses it, the connection closed."""

from __future__ import annotations

import asyncio

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sync.wire import Error


def patient_protocol(head_seconds: float, body_bytes_per_second: int) -> type[HttpToolsProtocol]:
    class DeadlinedProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _begun = False  # whether any of the next request has come since the last answer

        def _arm(self, seconds: float, on_timeout) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, on_timeout)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(head_seconds, self._head_too_slow)

        def data_received(self, data: bytes) -> None:
            self._begun = True
            super().data_received(data)

        def on_headers_complete(self) -> None:
            length = next((int(v) for k, v in self.headers if k == b"content-length" and v.isdigit()), 0)
            if length:
                self._arm(head_seconds + length / body_bytes_per_second, self._close)
            else:
                self._disarm()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            self._begun = False
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm(head_seconds, self._head_too_slow)  # the next request on this connection

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _head_too_slow(self) -> None:
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a request is being answered (its head came whole): nothing waits on the client
            if not self._begun:
                self.transport.close()  # an idle connection, no request begun: nothing to answer
                return
            body = msgspec.json.encode(Error(error="request_timeout", detail=f"the request did not arrive within {head_seconds:g} s"))
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            self.transport.close()

        def _close(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

    return DeadlinedProtocol
