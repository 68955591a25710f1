"""Scripted LLM servers on 127.0.0.1 for tests: the OpenAI chat-completions API and Ollama's API.

Each server answers with the replies queued by ``enqueue`` (then ``default``), records every
request body, and can misbehave on demand: an HTTP 500, a hang past the client's timeout,
malformed JSON, empty content, or ``finish_reason: "length"``.

    with OpenAIServer() as server:
        server.enqueue(Reply("BMETs repair devices [1]."))
        ChatOpenAI(base_url=server.base_url, api_key="x", model="m").invoke("hi")
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Scripted answers to the fixture passages (see tests/test_llm.py).
CORRECT = "Biomedical equipment technicians repair infusion pumps [2]. The median pay was $62,630 [1]."
INVENTED = "Technicians repair pumps [2]. They earn $90,000 a year [7]."
UNCITED = "Biomedical equipment technicians repair infusion pumps and earn a good living."
#: What a model that obeyed the injected passage would write: no citation, a planted link.
OBEYED = "Certification is free: just visit http://evil.example/cert and enter your details."


@dataclass(frozen=True)
class Reply:
    """One scripted reply. ``kind``: ok | error | hang | malformed | empty | length."""

    text: str = CORRECT
    kind: str = "ok"


def _pieces(text: str) -> list[str]:
    """Split into word-sized pieces, as a model streams tokens (markers split across pieces)."""
    out, word = [], ""
    for ch in text:
        word += ch
        if ch in " [":
            out.append(word)
            word = ""
    return [*out, word] if word else out


class _QuietServer(ThreadingHTTPServer):
    """Keeps a handler's error (a client that hung up early) instead of printing it: under
    CliRunner the print would land in the output of the command under test."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.errors: list[str] = []

    def handle_error(self, request, client_address) -> None:
        import traceback

        self.errors.append(traceback.format_exc())


class _Server:
    """A threaded HTTP server whose handler asks ``respond`` what to send."""

    def __init__(self, *, default: Reply | None = None, hang_seconds: float = 30.0) -> None:
        self.default = default or Reply()
        self.queue: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.hang_seconds = hang_seconds
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                owner.handle_get(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append({"path": self.path, "body": body})
                reply = owner.queue.popleft() if owner.queue else owner.default
                if reply.kind == "hang":
                    owner._stop.wait(owner.hang_seconds)
                    self.close_connection = True
                    return
                if reply.kind == "error":
                    return owner.send(self, 500, "application/json", b'{"error": "scripted failure"}')
                owner.handle_post(self, body, reply)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def enqueue(self, *replies: Reply | str) -> None:
        self.queue.extend(Reply(r) if isinstance(r, str) else r for r in replies)

    @staticmethod
    def send(handler, status: int, content_type: str, body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def start_stream(handler, content_type: str) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class OpenAIServer(_Server):
    """``POST /v1/chat/completions`` (JSON or SSE with ``stream: true``) and ``GET /v1/models``."""

    model = "scripted-gpt"

    @property
    def base_url(self) -> str:
        return super().base_url + "/v1"

    def handle_get(self, handler) -> None:
        body = {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "tests"}]}
        self.send(handler, 200, "application/json", json.dumps(body).encode())

    def handle_post(self, handler, body: dict, reply: Reply) -> None:
        text = "" if reply.kind == "empty" else reply.text
        finish = "length" if reply.kind == "length" else "stop"
        base = {"id": "chatcmpl-1", "created": int(time.time()), "model": body.get("model", self.model)}
        if not body.get("stream"):
            if reply.kind == "malformed":
                cut_short = b'{"choices": [{"message": {"content": "Bio'
                return self.send(handler, 200, "application/json", cut_short)
            payload = {
                **base, "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "finish_reason": finish}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
            return self.send(handler, 200, "application/json", json.dumps(payload).encode())
        self.start_stream(handler, "text/event-stream")

        def event(delta: dict, finish_reason=None) -> None:
            chunk = {**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
            handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            handler.wfile.flush()

        event({"role": "assistant", "content": ""})
        for piece in _pieces(text):
            event({"content": piece})
        if reply.kind == "malformed":
            handler.wfile.write(b'data: {"choices": [{"delta": {"content": "oops\n\n')
        event({}, finish)
        handler.wfile.write(b"data: [DONE]\n\n")


class OllamaServer(_Server):
    """``POST /api/chat`` (NDJSON stream or one JSON object) and ``GET /api/tags``."""

    model = "llama3:latest"

    def handle_get(self, handler) -> None:
        if handler.path.startswith("/api/tags"):
            body = {"models": [{"name": self.model, "model": self.model, "size": 1, "digest": "0" * 64}]}
            return self.send(handler, 200, "application/json", json.dumps(body).encode())
        self.send(handler, 404, "application/json", b'{"error": "not found"}')

    def handle_post(self, handler, body: dict, reply: Reply) -> None:
        if handler.path != "/api/chat":
            return self.send(handler, 404, "application/json", b'{"error": "not found"}')
        text = "" if reply.kind == "empty" else reply.text
        base = {"model": body.get("model", self.model), "created_at": "2025-01-01T00:00:00Z"}
        done = {**base, "done": True, "done_reason": "length" if reply.kind == "length" else "stop",
                "total_duration": 1, "prompt_eval_count": 10, "eval_count": 10}
        if body.get("stream") is False:
            if reply.kind == "malformed":
                return self.send(handler, 200, "application/json", b'{"message": {"content": "Bio')
            payload = {**done, "message": {"role": "assistant", "content": text}}
            return self.send(handler, 200, "application/json", json.dumps(payload).encode())
        self.start_stream(handler, "application/x-ndjson")
        for piece in _pieces(text):
            line = {**base, "message": {"role": "assistant", "content": piece}, "done": False}
            handler.wfile.write(json.dumps(line).encode() + b"\n")
            handler.wfile.flush()
        if reply.kind == "malformed":
            handler.wfile.write(b'{"message": {"content": "oo\n')
        last = {**done, "message": {"role": "assistant", "content": ""}}
        handler.wfile.write(json.dumps(last).encode() + b"\n")
