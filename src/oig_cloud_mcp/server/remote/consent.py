"""The consent page: one HTML form on which the owner lets a client in with a pairing code.

GET shows who asks (the client's name, where it sends the browser back, what it may do),
a field for the code from `oig-cloud-mcp remote pair` — or, on a server for many homes,
the household's OIG Cloud e-mail and password — and, only when writes are enabled on this
server and the client asks for them, an unticked "allow changes" box. POST
checks the form really came from this page (a hidden token that must match the page's
cookie, the Origin), then answers with the client's redirect. Client-supplied text is
escaped, without the characters a reader cannot see (controls, bidi overrides,
zero-width characters); the page cannot be framed and loads nothing.
"""

from __future__ import annotations

import base64
import hashlib
import html
import ipaddress
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ...app.authorization import Authorization
from ...app.sign_in import SignInConsent
from ...domain.grants import WRITE_SCOPE, ClientRecord, ConsentRequest, is_loopback_redirect
from ...errors import AuthorizationRefusedError

COOKIE = "oig_consent"
STYLE = """
body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;background:#fafafa}
h1{font-size:1.3rem}.who{font-weight:600}.note{color:#555;font-size:.9rem}
.error{color:#a40000;font-weight:600}label{display:block;margin:1rem 0 .3rem}
input[type=text]{font:1.2rem ui-monospace,monospace;letter-spacing:.1em;padding:.4rem;width:12rem}
.buttons{margin-top:1.2rem;display:flex;gap:.8rem}
button{font-size:1rem;padding:.5rem 1.2rem;border-radius:.4rem;border:1px solid #888}
button[value=allow]{background:#1a5fb4;color:#fff;border-color:#1a5fb4}
"""
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


@dataclass(frozen=True)
class Page:
    """What the consent page needs from the server around it."""

    authorization: Authorization
    secure: bool
    """The public URL is https: the cookie is Secure."""
    write_allowed: bool
    sign_in: SignInConsent | None = None
    """Many homes: the household signs in instead of typing a pairing code."""
    trusted_proxies: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    """Peers whose X-Forwarded-For names the client (Settings.trusted_proxies)."""


def _headers(redirect_uri: str | None = None) -> dict[str, str]:
    """No framing, no scripts, nothing loaded; the form may go here and, by its redirect,
    to the client's origin (CSP form-action applies to the redirect too). The referrer
    stays on this server: `same-origin`, not `no-referrer`, under which browsers send the
    form with `Origin: null`, which the Origin check refuses."""
    target = ""
    if redirect_uri is not None:
        parts = urlsplit(redirect_uri)
        target = f" {parts.scheme}://{parts.netloc}"
    policy = (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; form-action 'self'{target}; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _problem(text: str, status: int) -> HTMLResponse:
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>OIG Cloud</title>"
        f"<style>{STYLE}</style><h1>OIG Cloud</h1><p class=error>{html.escape(text)}</p>"
    )
    return HTMLResponse(body, status, headers=_headers())


def _seen(text: str) -> str:
    """Client-supplied text for the page: without controls (NUL, ESC, newlines), format
    characters (U+202E that turns text around, zero-width ones) and line or paragraph
    separators, then HTML-escaped."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return html.escape(kept)


def _form(
    page: Page, handle: str, csrf: str, request: ConsentRequest, client: ClientRecord, error: str
) -> str:
    name = _seen(client.name or "") or "An unnamed client"
    host = urlsplit(request.redirect_uri).hostname or "?"
    back = "a program on this computer" if is_loopback_redirect(request.redirect_uri) else host
    wants_write = page.write_allowed and WRITE_SCOPE in request.scopes
    write = (
        "<label><input type=checkbox name=write value=1> Also allow it to change settings of "
        "the box (mode, export, boiler, grid charging). Every change is still previewed first."
        "</label>"
        if wants_write
        else ""
    )
    problem = f"<p class=error>{html.escape(error)}</p>" if error else ""
    return f"""<!doctype html><html lang=en><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1">
<title>Connect to your OIG Cloud box</title><style>{STYLE}</style>
<h1>Connect <span class=who>{name}</span> to your battery box?</h1>
<p>It will read your box's live data, history and notifications{
        ", and ask to change settings" if wants_write else ""
    }. After you allow it, your browser goes back to <b>{html.escape(back)}</b>.</p>
<p class=note>Client id: {_seen(client.client_id[:200])}</p>{problem}
<form method=post action=/consent>
<input type=hidden name=request value="{html.escape(handle)}">
<input type=hidden name=csrf value="{html.escape(csrf)}">
{_credentials(page)}{write}
<div class=buttons><button type=submit name=action value=allow>Allow</button>
<button type=submit name=action value=deny formnovalidate>Deny</button></div></form>
"""


def _credentials(page: Page) -> str:
    """The pairing-code field, or (many homes) the household's OIG Cloud login."""
    if page.sign_in is None:
        pair = page.authorization.settings.pair_command
        return (
            f"<label for=code>Pairing code (run <code>{html.escape(pair)}</code> on the "
            "server)</label>\n<input type=text id=code name=code autocomplete=one-time-code "
            "autocapitalize=characters spellcheck=false maxlength=20 required>"
        )
    return (
        "<p>Sign in with the e-mail and password of your OIG Cloud account (the OIG Power "
        "app's); they are checked with OIG Cloud and kept encrypted on this server.</p>\n"
        "<label for=email>E-mail</label><input type=email id=email name=email "
        "autocomplete=username maxlength=254 required>\n"
        "<label for=password>Password</label><input type=password id=password "
        "name=password autocomplete=current-password maxlength=200 required>"
    )


def client_address(request: Request, trusted: tuple[str, ...]) -> str:
    """Who sent the request: the peer, or — when the peer is a trusted proxy (by default
    one on this machine) — the address that proxy appended to X-Forwarded-For."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded and _within(peer, trusted):
        return forwarded.rsplit(",", 1)[-1].strip()[:64]
    return peer


def _within(address: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network) for network in networks)


async def _show(page: Page, handle: str, error: str = "", status: int = 200) -> Response:
    found = await page.authorization.consent(handle)
    if found is None:
        return _problem("This consent page has expired; start connecting again.", 400)
    request, client = found
    csrf = await page.authorization.new_form(handle)
    body = _form(page, handle, csrf, request, client, error)
    response = HTMLResponse(body, status, headers=_headers(request.redirect_uri))
    response.set_cookie(
        COOKIE, csrf, httponly=True, samesite="strict", secure=page.secure, path="/consent"
    )
    return response


async def show_consent(page: Page, request: Request) -> Response:
    """GET /consent?request=HANDLE."""
    return await _show(page, request.query_params.get("request", "")[:200])


async def decide_consent(page: Page, request: Request) -> Response:
    """POST /consent: allow with a pairing code, or deny."""
    form = await request.form()
    handle, csrf = str(form.get("request", ""))[:200], str(form.get("csrf", ""))[:200]
    if not csrf or request.cookies.get(COOKIE) != csrf:
        return _problem("This form was not sent from this server's consent page.", 403)
    try:
        if form.get("action") == "deny":
            target = await page.authorization.deny(handle, csrf)
        elif page.sign_in is not None:
            target = await page.sign_in.approve(
                handle,
                csrf,
                str(form.get("email", ""))[:254],
                str(form.get("password", ""))[:200],
                address=client_address(request, page.trusted_proxies),
                write=form.get("write") == "1",
            )
        else:
            code, write = str(form.get("code", ""))[:40], form.get("write") == "1"
            target = await page.authorization.approve(handle, csrf, code, write=write)
    except AuthorizationRefusedError as exc:
        if exc.code == "invalid_request":
            return _problem(str(exc), 400)
        return await _show(page, handle, str(exc), 403 if exc.code == "access_denied" else 429)
    response = RedirectResponse(target, 302, headers=_headers(target))
    response.delete_cookie(COOKIE, path="/consent", secure=page.secure, httponly=True)
    return response
