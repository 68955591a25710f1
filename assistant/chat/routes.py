"""HTTP routes beside Chainlit's: a past chat's files (to their owner only), staff sign-in,
Chainlit's auth config with guest sign-in turned off when staff asked to sign in, the readiness
check ``/healthz``, and Chainlit's sign-in routes wrapped (``sessions.py``).

Chainlit ends its routes with a catch-all page route, so ``install`` puts these first. They read
the app's ``Runtime`` through the getter ``install`` is given, so tests can put their own in place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import quote

from chainlit.auth import get_configuration, get_current_user
from chainlit.auth.cookie import clear_auth_cookie
from chainlit.server import app as web
from fastapi import Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from assistant.chat import sessions
from assistant.chat.history import safe_key

STAFF_COOKIE = "assistant_staff_signin"
_runtime: Callable | None = None
#: Set by ``serve`` when a stop signal starts the drain: the replica is leaving, so it is not ready.
_stopping = False


def mark_stopping() -> None:
    """From now on ``/healthz`` answers 503 "stopping", so a load balancer sends no new chats here."""
    global _stopping
    _stopping = True


def install(runtime: Callable) -> None:
    """Serve these routes from the Chainlit server, reading ``runtime()`` on each request."""
    global _runtime
    _runtime = runtime
    sessions.install(runtime)
    if any(getattr(r, "endpoint", None) is chat_file for r in web.router.routes):
        return  # installed already (the app module imported twice)
    for route in (
        APIRoute("/chat-files/{key:path}", chat_file, methods=["GET"]),
        APIRoute("/staff", staff_page, methods=["GET"]),
        APIRoute("/staff", staff_signin, methods=["POST"]),
        APIRoute("/auth/config", auth_config, methods=["GET"]),
        APIRoute("/healthz", healthz, methods=["GET"]),
        *sessions.routes(),
    ):
        web.router.routes.insert(0, route)


def staff_signin_requested(cookie_header: str | None) -> bool:
    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header or "")
    except Exception:
        return False
    return STAFF_COOKIE in cookies


async def chat_file(key: str, user=Depends(get_current_user)):
    """An element file of a past chat, to its owner only; never rendered as a page of this site."""
    rt = _runtime()
    owner = getattr(user, "id", None)
    if not owner or rt.files.owner(key) != owner:
        raise HTTPException(status_code=404, detail="Not found")
    try:
        body, mime = await asyncio.to_thread(rt.files.read, key)  # a path, or bytes from Postgres
    except (FileNotFoundError, ValueError):
        raise HTTPException(status_code=404, detail="Not found") from None
    inline = mime.startswith("image/") and mime != "image/svg+xml"
    if mime.startswith("text/"):
        mime, inline = "text/plain; charset=utf-8", True
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
    media_type = mime if inline else "application/octet-stream"
    if isinstance(body, bytes):
        name = quote(safe_key(key).rsplit("/", 1)[-1])
        headers["Content-Disposition"] = "inline" if inline else f"attachment; filename*=utf-8''{name}"
        return Response(body, media_type=media_type, headers=headers)
    return FileResponse(
        body,
        media_type=media_type,
        headers=headers,
        content_disposition_type="inline" if inline else "attachment",
        filename=None if inline else body.name,
    )


STAFF_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Staff sign-in</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;margin:0;padding:2rem 1rem;color:#1a1a1a;background:#fff}
main{max-width:32rem;margin:auto}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;
background:#0b5cad;color:#fff;cursor:pointer}button:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
a{color:#0b5cad}@media (prefers-color-scheme:dark){body{background:#121212;color:#eee}a{color:#9cc9ff}
button:focus-visible{outline-color:#eee}}</style></head>
<body><main><h1>Staff sign-in</h1>
<p>Continuing ends the guest chat on this browser and opens the password form for staff accounts.</p>
<form method="post" action="/staff"><button id="staff-continue" type="submit">Continue to staff sign-in</button></form>
<p><a href="/">Back to the chat</a></p></main></body></html>
"""


async def staff_page():
    """The Staff sign-in link's page: a button, and nothing changed until it is pressed, so a
    link from another site can sign nobody out (issue 13: ``GET /staff`` used to)."""
    headers = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                          "frame-ancestors 'none'", "Cache-Control": "no-store"}
    return HTMLResponse(STAFF_PAGE, headers=headers)


async def staff_signin(request: Request):
    """Leave the guest session and open the password form (the login page skips guest sign-in).
    Only a form of this site may ask (``sessions.same_site``)."""
    if not sessions.same_site(request):
        raise HTTPException(status_code=403, detail="Staff sign-in must be started from this site's own page.")
    response = RedirectResponse(url="/login", status_code=303)
    clear_auth_cookie(request, response)
    response.set_cookie(STAFF_COOKIE, "1", max_age=900, httponly=True, samesite="lax")
    return sessions.secure_cookies(request, response)


async def auth_config(request: Request):
    """Chainlit's /auth/config, except that guest sign-in is off when staff asked to sign in."""
    conf = get_configuration()
    if not _runtime().chat.open_career_guide or staff_signin_requested(request.headers.get("cookie")):
        conf = {**conf, "headerAuth": False}
    return JSONResponse(conf)


async def healthz():
    """200 when this replica can answer, else 503; both with the same figures. No sign-in needed,
    so nothing here names a person or a question."""
    try:
        ready, body = await asyncio.to_thread(lambda: _runtime().health())
    except Exception as exc:  # noqa: BLE001 - the runtime itself could not be built (settings, files)
        ready, body = False, {"status": "unavailable", "index": None, "model": None, "database": None,
                              "feeds_last_success": None, "problems": [f"startup: {exc}"]}
    if _stopping:
        ready, body = False, {**body, "status": "stopping"}
    return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})
