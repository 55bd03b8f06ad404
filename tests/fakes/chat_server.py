"""A loopback OpenAI Chat Completions server, for driving the real ``openai`` SDK in tests.

``FakeChatServer`` listens on 127.0.0.1, port 0, in a daemon thread, and answers
``POST /v1/chat/completions`` with chat.completion JSON as the OpenAI API does (id, object, created, model,
choices[0].message {role, content, refusal}, finish_reason, usage). Use it as a context manager and point
the client at ``server.base_url`` (``http://127.0.0.1:PORT/v1``)::

    with FakeChatServer() as server:
        server.answer("SKIP", 0.9, "sell venue is stale", prompt_tokens=800, completion_tokens=25)
        server.status(429, retry_after=5)
        ...  # the client's first request gets the SKIP, the second the 429, later ones the default

Scripting: each request consumes the next queued ``Reply``; when the queue is empty the server answers
``server.default`` (an EXECUTE answer unless the constructor was given another). The queueing methods:

- ``answer(verdict, confidence, reason, size_cap_usdt=None, *, prompt_tokens=, completion_tokens=)``:
  a valid structured answer (content is the JSON of the four fields).
- ``malformed(text, *, finish_reason="stop", prompt_tokens=, completion_tokens=)``: ``text`` as the content,
  verbatim (``finish_reason="length"`` simulates an answer cut off at the token limit).
- ``refusal(text, *, prompt_tokens=, completion_tokens=)``: content null and ``message.refusal`` = ``text``.
- ``delay(seconds, then=None)``: wait ``seconds`` before sending ``then`` (a ``Reply``, e.g. from the
  module-level ``answer(...)``; the default reply if None). Closing the server cuts the wait short.
- ``status(code, retry_after=None, message=...)``: an HTTP error with an OpenAI-style error body
  ``{"error": {"message", "type", "param", "code"}}`` and, if given, a ``Retry-After`` header.
- ``queue(reply)``: any ``Reply``; the module-level ``answer``, ``malformed``, ``refusal`` and ``status``
  build them.

Each request is recorded, before it is answered, in ``server.requests`` as a ``RecordedRequest``
(method, path, headers with lower-case names, the parsed JSON body). Requests to other paths get a 404.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
CHAT_PATH = "/v1/chat/completions"
PROMPT_TOKENS = 850
COMPLETION_TOKENS = 40


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a chat completion (status 200) or an HTTP error, possibly after a delay."""

    status_code: int = 200
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    prompt_tokens: int = PROMPT_TOKENS
    completion_tokens: int = COMPLETION_TOKENS
    error_message: str = ""
    retry_after: str | None = None
    delay_s: float = 0.0

    def render(self, model: str) -> tuple[int, dict[str, str], bytes]:
        """Return the status, headers and body of this reply to a request for ``model``."""
        headers = {"Content-Type": "application/json"}
        if self.status_code != 200:
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            error_type = "rate_limit_exceeded" if self.status_code == 429 else "server_error"
            body: dict[str, Any] = {"error": {"message": self.error_message, "type": error_type,
                                              "param": None, "code": error_type}}
        else:
            body = {
                "id": f"chatcmpl-fake{time.monotonic_ns()}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": self.content, "refusal": self.refusal},
                    "logprobs": None,
                    "finish_reason": self.finish_reason,
                }],
                "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                          "total_tokens": self.prompt_tokens + self.completion_tokens},
            }
        return self.status_code, headers, json.dumps(body).encode()


def answer(verdict: str, confidence: float, reason: str, size_cap_usdt: float | None = None, *,
           prompt_tokens: int = PROMPT_TOKENS, completion_tokens: int = COMPLETION_TOKENS) -> Reply:
    """Build a valid structured answer."""
    content = json.dumps({"verdict": verdict, "confidence": confidence, "reason": reason,
                          "size_cap_usdt": size_cap_usdt})
    return Reply(content=content, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def malformed(text: str, *, finish_reason: str = "stop", prompt_tokens: int = PROMPT_TOKENS,
              completion_tokens: int = COMPLETION_TOKENS) -> Reply:
    """Build an answer whose content is ``text`` verbatim."""
    return Reply(content=text, finish_reason=finish_reason, prompt_tokens=prompt_tokens,
                 completion_tokens=completion_tokens)


def refusal(text: str, *, prompt_tokens: int = PROMPT_TOKENS, completion_tokens: int = COMPLETION_TOKENS) -> Reply:
    """Build a refusal: no content, ``message.refusal`` = ``text``."""
    return Reply(refusal=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


def status(code: int, retry_after: float | str | None = None, message: str = "") -> Reply:
    """Build an HTTP error reply with an OpenAI-style error body."""
    return Reply(status_code=code, error_message=message or f"fake server answered HTTP {code}",
                 retry_after=None if retry_after is None else str(retry_after))


DEFAULT_REPLY = answer("EXECUTE", 0.8, "net spread clears the threshold on two live venues")


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON, or None if the body was not JSON


class FakeChatServer:
    """Serve scripted chat completions on 127.0.0.1; see the module docstring."""

    def __init__(self, default: Reply = DEFAULT_REPLY) -> None:
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._http = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.01,), name="fake-chat-server",
                                        daemon=True)  # a short poll interval makes close() quick
        self._thread.start()
        self.port = self._http.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}/v1"

    def __enter__(self) -> FakeChatServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, cut any delayed reply short and close the listening socket."""
        self._closing.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def queue(self, reply: Reply) -> None:
        """Queue ``reply`` for the next request not yet answered by an earlier queued reply."""
        with self._lock:
            self._replies.append(reply)

    def answer(self, verdict: str, confidence: float, reason: str, size_cap_usdt: float | None = None, *,
               prompt_tokens: int = PROMPT_TOKENS, completion_tokens: int = COMPLETION_TOKENS) -> None:
        """Queue a valid structured answer."""
        self.queue(answer(verdict, confidence, reason, size_cap_usdt, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens))

    def malformed(self, text: str, *, finish_reason: str = "stop", prompt_tokens: int = PROMPT_TOKENS,
                  completion_tokens: int = COMPLETION_TOKENS) -> None:
        """Queue an answer whose content is ``text`` verbatim."""
        self.queue(malformed(text, finish_reason=finish_reason, prompt_tokens=prompt_tokens,
                             completion_tokens=completion_tokens))

    def refusal(self, text: str, *, prompt_tokens: int = PROMPT_TOKENS,
                completion_tokens: int = COMPLETION_TOKENS) -> None:
        """Queue a refusal."""
        self.queue(refusal(text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))

    def delay(self, seconds: float, then: Reply | None = None) -> None:
        """Queue ``then`` (the default reply if None), sent ``seconds`` after the request arrives."""
        self.queue(replace(then or self.default, delay_s=seconds))

    def status(self, code: int, retry_after: float | str | None = None, message: str = "") -> None:
        """Queue an HTTP error with an OpenAI-style error body (and a Retry-After header, if given)."""
        self.queue(status(code, retry_after, message))

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._replies.popleft() if self._replies else self.default


def _handler_for(server: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class ChatHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            if self.path != CHAT_PATH:
                self._send(*status(404, message=f"no route {self.path}").render(""))
                return
            reply = server._next_reply(request)
            if reply.delay_s and server._closing.wait(reply.delay_s):
                return
            model = body.get("model", "") if isinstance(body, dict) else ""
            self._send(*reply.render(model))

        def do_GET(self) -> None:
            self._send(*status(404, message=f"no route {self.path}").render(""))

        def _send(self, code: int, headers: dict[str, str], payload: bytes) -> None:
            try:
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timed out) before the answer; nothing to tell it

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    return ChatHandler
