"""Reading one environment: each variable checked, every problem collected in one sentence."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..domain.models import WRITE_TOOLS, is_plausible_email
from ..errors import ConfigurationError
from .names import (
    APP_NAME,
    ENV_ALLOW_WRITES,
    ENV_OTEL_DISABLED,
    ENV_OTEL_ENDPOINT,
    ENV_OTEL_METRICS_ENDPOINT,
    ENV_OTEL_METRICS_EXPORTER,
    ENV_OTEL_SERVICE_NAME,
    ENV_OTEL_TRACES_ENDPOINT,
    ENV_OTEL_TRACES_EXPORTER,
    ENV_STATE,
)
from .telemetry import OTEL_EXPORTERS, OTLP_DEFAULT, Telemetry, _plain_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
_ALL_WRITES = _TRUE | {"all", "*"}
_NO_WRITES = _FALSE | {"none"}
_UNFILLED = re.compile(r"\$\{user_config\.[^}]*\}")
"""What Claude Desktop's extension host passes for an optional field left empty."""
_DOMAIN = re.compile(r"@[^@\s]+\.[^@\s]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
"""A number of seconds as people type it: ASCII digits, an optional decimal point."""


def _text(value: str | None) -> str:
    """A setting's text; an unfilled `${user_config.NAME}` placeholder counts as unset."""
    text = (value or "").strip()
    return "" if _UNFILLED.fullmatch(text) else text


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Reader:
    """Reads variables from one environment and collects every problem in one sentence."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str) -> str:
        return _text(self.env.get(name))

    def secret(self, name: str) -> str | None:
        """The value as given (a password may end in a space), or None when unset."""
        value = self.env.get(name) or ""
        return value if _text(value) else None

    def refuse(self, name: str, accepts: str) -> None:
        self.problems.append(f"{name} must be {accepts}, not {_shown(self.text(name))}.")

    def flag(self, name: str) -> bool:
        text = self.text(name).lower()
        if text not in _TRUE | _FALSE:
            self.refuse(name, "1, true, yes or on (or 0, false, no, off)")
        return text in _TRUE

    def seconds(self, name: str, default: float, *, allow_zero: bool, most: float) -> float:
        """ASCII digits with an optional decimal point (no exponent, no other script's
        digits, no inf), from 0 (or just above) up to `most`."""
        text = self.text(name)
        if not text:
            return default
        value = float(text) if _DECIMAL.fullmatch(text) else math.nan
        if math.isnan(value) or (value == 0 and not allow_zero):
            low = "0 or more" if allow_zero else "more than 0"
            self.refuse(name, f"a number of seconds, {low} (default {default:g})")
            return default
        if value > most:
            self.refuse(name, f"a number of seconds, at most {most:g} (default {default:g})")
            return default
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        text = self.text(name)
        if not text:
            return default
        for choice in choices:
            if choice.lower() == text.lower():
                return choice
        self.refuse(name, f"one of {', '.join(choices)} (default {default})")
        return default

    def url(self, name: str, default: str) -> str:
        text = self.text(name)
        if not text:
            return default
        try:
            parts = urlsplit(text)
            usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError for a port that is not one
        except ValueError:  # e.g. an unclosed IPv6 bracket, a port out of range
            usable = False
        if not usable:
            self.refuse(name, f"an http:// or https:// URL such as {default}")
            return default
        return text

    def port(self, name: str, default: int) -> int:
        text = self.text(name)
        if not text:
            return default
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
            self.refuse(name, f"a port number from 1 to 65535 (default {default})")
            return default
        return int(text)

    def urls(self, name: str, example: str) -> tuple[str, ...]:
        """A comma-separated list of http(s) URLs (no spaces inside one)."""
        found = tuple(u.strip() for u in self.text(name).split(",") if u.strip())
        for url in found:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                self.problems.append(
                    f"{name} must be a comma-separated list of URLs such as {example}; "
                    f"{_shown(url)} is not one."
                )
                return ()
        return found

    def state_url(self, name: str) -> str:
        """ "" (the state directory) or a redis:// / rediss:// / unix:// URL."""
        try:
            return parse_state_url(self.text(name), source=name)
        except ConfigurationError as exc:
            self.problems.append(str(exc))
            return ""

    def account_patterns(self, name: str) -> tuple[str, ...]:
        """E-mails and `@domain`s."""
        found = tuple(e.strip().casefold() for e in self.text(name).split(",") if e.strip())
        bad = [e for e in found if not (is_plausible_email(e) or _DOMAIN.fullmatch(e))]
        if bad:
            self.problems.append(
                f"{name} must be a comma-separated list of e-mails or @domains such as "
                f"@example.com; {_shown(bad[0])} is neither."
            )
            return ()
        return found

    def networks(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """Addresses or networks (CIDR), normalised; `default` when unset."""
        kept: list[str] = []
        for item in (n.strip() for n in self.text(name).split(",")):
            try:
                kept += [str(ipaddress.ip_network(item, strict=False))] if item else []
            except ValueError:
                self.problems.append(
                    f"{name} must be a comma-separated list of addresses or networks such "
                    f"as 10.0.0.0/8; {_shown(item)} is neither."
                )
                return default
        return tuple(kept) or default

    def emails(self, name: str) -> tuple[str, ...]:
        found = tuple(e.strip() for e in self.text(name).split(",") if e.strip())
        bad = [e for e in found if not is_plausible_email(e)]
        if bad:
            self.problems.append(
                f"{name} must be a comma-separated list of e-mail addresses; "
                f"{_shown(bad[0])} is not one."
            )
        return tuple(e for e in found if e not in bad)

    def writes(self, name: str) -> frozenset[str]:
        try:
            return parse_allowed_writes(self.env.get(name), source=name)
        except ConfigurationError as exc:
            self.problems.append(str(exc))
            return frozenset()

    def exporters(self, name: str, *, configured: bool) -> tuple[str, ...]:
        """An `OTEL_*_EXPORTER` list: unset is `otlp` once anything is `configured`."""
        given = [e.strip().lower() for e in self.text(name).split(",") if e.strip()]
        if any(e not in OTEL_EXPORTERS for e in given):
            self.refuse(name, "a comma-separated list of otlp, console or none")
            return ()
        chosen = given or (["otlp"] if configured else [])
        return tuple(dict.fromkeys(e for e in chosen if e != "none"))

    def telemetry(self) -> Telemetry:
        """OpenTelemetry: on only when an OTLP endpoint or an `OTEL_*_EXPORTER` is set."""
        names = (ENV_OTEL_ENDPOINT, ENV_OTEL_TRACES_ENDPOINT, ENV_OTEL_METRICS_ENDPOINT)
        configured = any(self.text(name) for name in names)
        if self.text(ENV_OTEL_DISABLED).lower() == "true":
            return Telemetry()
        traces = self.exporters(ENV_OTEL_TRACES_EXPORTER, configured=configured)
        metrics = self.exporters(ENV_OTEL_METRICS_EXPORTER, configured=configured)
        if not traces and not metrics:
            return Telemetry()
        for signal in ("", "TRACES_", "METRICS_"):
            name = f"OTEL_EXPORTER_OTLP_{signal}PROTOCOL"
            if self.text(name) not in ("", "http/protobuf") and "otlp" in traces + metrics:
                self.refuse(name, "http/protobuf (the only OTLP protocol this server sends)")
        base = _plain_url(self.url(ENV_OTEL_ENDPOINT, OTLP_DEFAULT)).rstrip("/")
        return Telemetry(
            traces=traces,
            metrics=metrics,
            traces_endpoint=_plain_url(
                self.url(ENV_OTEL_TRACES_ENDPOINT, "") or f"{base}/v1/traces"
            ),
            metrics_endpoint=_plain_url(
                self.url(ENV_OTEL_METRICS_ENDPOINT, "") or f"{base}/v1/metrics"
            ),
            service_name=self.text(ENV_OTEL_SERVICE_NAME) or APP_NAME,
        )


STATE_SCHEMES = ("redis", "rediss", "unix")
LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
"""Trusted proxies by default: one on this machine (Caddy, a tunnel's agent)."""


def parse_state_url(text: str, *, source: str = ENV_STATE) -> str:
    """Where state lives: "" (the state directory) or a Redis URL, as given.

    Raises `ConfigurationError` naming `source` (the variable or flag), never the URL
    itself: it may hold the Redis password.
    """
    text = text.strip()
    if text and urlsplit(text).scheme not in STATE_SCHEMES:
        raise ConfigurationError(
            f"{source} must be a redis://, rediss:// or unix:// URL such as "
            "redis://127.0.0.1:6379/0 (or unset for the state directory)."
        )
    return text


def parse_allowed_writes(value: str | None, *, source: str = ENV_ALLOW_WRITES) -> frozenset[str]:
    """`1`/`true`/`all` enables every write tool; a comma list enables just those.

    An item may also be `TOOL=true` or `TOOL=false` (one checkbox per tool, as the Claude
    Desktop extension passes them; an unfilled placeholder there counts as false).
    `source` (the variable or flag the value came from) names it in the error.
    """
    text = _text(value).lower()
    if text in _NO_WRITES:
        return frozenset()
    if text in _ALL_WRITES:
        return frozenset(WRITE_TOOLS)
    enabled: set[str] = set()
    named: set[str] = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, ticked, flag = item.partition("=")
        name, flag = name.strip(), _text(flag).lower()
        if name in named:  # `x=true,x=false` must not fail open
            raise ConfigurationError(f"{source} names {name} twice; name each write tool once.")
        named.add(name)
        if ticked and flag not in _TRUE | _FALSE:
            raise ConfigurationError(
                f"{source}: {item} must end in =true or =false (or leave out the =)."
            )
        if not ticked or flag in _TRUE:
            enabled.add(name)
    unknown = named - set(WRITE_TOOLS)
    if unknown:
        raise ConfigurationError(
            f"{source} must be all (or 1), or a comma-separated list of "
            f"{', '.join(WRITE_TOOLS)}; {', '.join(sorted(unknown))} is not a write tool."
        )
    return frozenset(enabled)
