"""Bounded HTTP answers for the live Jenkins client: a byte cap applied while the body streams in, and a deadline
for the whole request.

`bound(session, max_bytes, deadline)` wraps a requests Session's `send`: every request is sent with `stream=True`,
its headers are awaited for at most `deadline` seconds, and its body is read in small pieces (`read1`, which
returns as soon as some bytes are there), counting bytes and time: past `max_bytes` or past the deadline the
connection is dropped and the request fails with `ResponseTooLarge` or `DeadlineExceeded`. The body is then kept
on the response, so `.content`, `.text` and `.json()` work as after an ordinary request. A server that drip-feeds
its answer therefore ends within the deadline plus one read timeout, however slowly it sends.

Neither error is retried: another try at a response that is too big or too slow only costs the same again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

MAX_RESPONSE_BYTES = 10 * 1024 * 1024
DEADLINE_SECONDS = 300.0
_PIECE = 64 * 1024


class ResponseTooLarge(requests.RequestException):
    """An answer above the byte cap; reading stopped there."""


class DeadlineExceeded(requests.RequestException):
    """A request that did not end within its deadline."""


def bound(session: requests.Session, max_bytes: int = MAX_RESPONSE_BYTES,
          deadline: float = DEADLINE_SECONDS) -> None:
    """Make every request of `session` read its answer whole, under `max_bytes` and within `deadline` seconds."""
    send: Callable[..., requests.Response] = session.send

    def bounded_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["stream"] = True
        end = time.monotonic() + deadline
        response = _headers_by(end, deadline, lambda: send(request, **kwargs), request.url or "")
        _read_body(response, max_bytes, end, deadline)
        return response

    session.send = bounded_send  # type: ignore[method-assign]


def _headers_by(end: float, deadline: float, send: Callable[[], requests.Response], url: str) -> requests.Response:
    """`send()` run in a helper thread, waited for until `end`: a server can drip-feed its status line and headers
    too, and only a thread the caller stops waiting for bounds that. A late answer is closed by the helper."""
    box: dict[str, Any] = {}
    lock = threading.Lock()

    def run() -> None:
        try:
            response: requests.Response | BaseException = send()
        except BaseException as exc:  # handed to the caller below
            response = exc
        with lock:
            box["result"] = response
            late = box.get("abandoned", False)
        if late and isinstance(response, requests.Response):
            response.close()

    helper = threading.Thread(target=run, name="jenkins2flow-http", daemon=True)
    helper.start()
    helper.join(max(0.0, end - time.monotonic()))
    with lock:
        if "result" not in box:
            box["abandoned"] = True
            raise DeadlineExceeded(f"No answer from {url} within {deadline:g} s (the deadline for one request).")
    result = box["result"]
    if isinstance(result, BaseException):
        raise result
    return result  # type: ignore[no-any-return]


def _read_body(response: requests.Response, max_bytes: int, end: float, deadline: float) -> None:
    raw = response.raw
    read = getattr(raw, "read1", None) or raw.read  # urllib3 1.x has no read1: read() waits for a whole piece
    pieces: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > end:
                raise DeadlineExceeded(f"The answer from {response.url} did not end within {deadline:g} s (the "
                                       f"deadline for one request); {size:,} bytes had come.")
            piece = read(_PIECE, decode_content=True)
            if not piece:
                break
            size += len(piece)
            if size > max_bytes:
                raise ResponseTooLarge(f"The answer from {response.url} is larger than {max_bytes:,} bytes (the limit "
                                       "for one answer); reading stopped there.")
            pieces.append(piece)
    except ReadTimeoutError as exc:
        response.close()
        raise requests.exceptions.ReadTimeout(exc) from exc
    except ProtocolError as exc:
        response.close()
        raise requests.ConnectionError(exc) from exc
    except DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except BaseException:
        response.close()
        raise
    response._content = b"".join(pieces)
    response._content_consumed = True
    raw.release_conn()
