"""Sign-in sessions over Chainlit's own routes: who is asking from where, signing out for good,
renewing a token with today's role, and cookies marked ``Secure`` over HTTPS.

Chainlit's ``/login``, ``/auth/header``, ``/logout`` and ``/auth/jwt`` are wrapped (``routes``
puts these first, so they answer instead):

- ``/login`` and ``/auth/header`` note the client's address (``CLIENT_ADDRESS``) for the password
  and guest callbacks, which limit failures and new guests per address (``SignInLedger``), then
  run Chainlit's own route;
- ``/logout`` ends the token's session (its ``session`` id) before Chainlit clears the cookie, so
  a copy of the token gives no staff rights and cannot be renewed;
- ``/auth/jwt`` renews a token only while its session is open and its account exists, with the
  account's role now (Chainlit's would write the old token's role back, issue 13).

The client's address and scheme are what uvicorn reports: behind a reverse proxy it takes them
from ``X-Forwarded-For`` and ``X-Forwarded-Proto``, but only from the proxies listed in
``FORWARDED_ALLOW_IPS`` (default 127.0.0.1), so nobody else can claim another address.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from contextvars import ContextVar

from chainlit import server as chainlit_server
from chainlit.auth import create_jwt, decode_jwt, get_token_from_cookies, set_auth_cookie
from chainlit.config import config
from chainlit.data import get_data_layer
from chainlit.user import User
from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordRequestForm

from assistant.chat.auth import Identity

#: The client address of the sign-in request being handled ("" outside one).
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="")
log = logging.getLogger(__name__)
_runtime: Callable | None = None


def install(runtime: Callable) -> None:
    global _runtime
    _runtime = runtime


def routes() -> list[APIRoute]:
    return [
        APIRoute("/login", login, methods=["POST"]),
        APIRoute("/auth/header", header_auth, methods=["POST"]),
        APIRoute("/logout", logout, methods=["POST"]),
        APIRoute("/auth/jwt", renew, methods=["POST"]),
    ]


def user_of(identity: Identity) -> User:
    """The Chainlit user a sign-in token is made from."""
    return User(identifier=identity.identifier, display_name=identity.display_name or None,
                metadata=identity.metadata())


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def same_site(request: Request) -> bool:
    """Whether a state-changing request comes from this site's own pages: the browser's
    ``Sec-Fetch-Site``, else an ``Origin`` equal to this site's; a request with neither is refused."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is not None and origin == f"{request.url.scheme}://{request.url.netloc}"


def secure_cookies(request: Request, response: Response) -> Response:
    """Mark every cookie ``response`` sets ``Secure`` when the request came over HTTPS (Chainlit
    marks them only when ``CHAINLIT_COOKIE_SAMESITE=none``)."""
    if request.url.scheme != "https":
        return response
    cookies = response.headers.getlist("set-cookie")
    del response.headers["set-cookie"]
    for cookie in cookies:
        flags = {part.strip().lower() for part in cookie.split(";")}
        response.headers.append("set-cookie", cookie if "secure" in flags else f"{cookie}; Secure")
    return response


def token_session(token: str | None) -> str | None:
    """The session id a valid token names; None for an invalid, expired or session-less token."""
    try:
        session = decode_jwt(token).metadata.get("session") if token else None
    except Exception:  # noqa: BLE001 - pyjwt raises a family of errors for bad tokens
        return None
    return session if isinstance(session, str) and session else None


def session_open(token: str | None) -> bool:
    """Whether ``token`` is a valid token whose session has not been signed out."""
    session = token_session(token)
    return session is not None and not _runtime().ledger.session_ended(session)


# -- the wrapped routes ------------------------------------------------------------------------


async def login(request: Request, response: Response, form_data: OAuth2PasswordRequestForm = Depends()):
    CLIENT_ADDRESS.set(client_address(request))
    return secure_cookies(request, await chainlit_server.login(request, response, form_data))


async def header_auth(request: Request):
    CLIENT_ADDRESS.set(client_address(request))
    return secure_cookies(request, await chainlit_server.header_auth(request))


async def logout(request: Request, response: Response):
    """End the token's session, then let Chainlit clear the cookie."""
    session = token_session(get_token_from_cookies(request.cookies))
    if session:
        _runtime().ledger.end_session(session, lifetime_s=config.project.user_session_timeout)
    result = await chainlit_server.logout(request, response)
    secure_cookies(request, response)
    return result


async def renew(request: Request):
    """A new token for an open session, with the account's role now; 401 once signed out or removed."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    session = token_session(token.strip()) if scheme.lower() == "bearer" else None
    if session is None or _runtime().ledger.session_ended(session):
        raise HTTPException(status_code=401, detail="Invalid token")
    identity = _runtime().directory.current(decode_jwt(token.strip()).identifier)
    if identity is None:
        raise HTTPException(status_code=401, detail="Invalid token")
    user = user_of(dataclasses.replace(identity, session=session))
    if data_layer := get_data_layer():
        try:
            await data_layer.create_user(user)
        except Exception as exc:  # noqa: BLE001 - as Chainlit's own sign-in: the token still works
            log.error("renewing %r: the chat database did not take the user: %s", user.identifier, exc)
    response = JSONResponse({"success": True})
    set_auth_cookie(request, response, create_jwt(user))
    return secure_cookies(request, response)
