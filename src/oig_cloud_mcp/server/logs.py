"""Log lines on stderr, with session cookies and passwords blanked and e-mail addresses
replaced by the household's pseudonym, whoever logs them."""

import json
import logging
import re
import sys
from types import TracebackType

from ..domain.models import subject_of
from ..errors import StateFileError

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

_SECRETS = (
    (re.compile(r"(PHPSESSID=)[^;,\s'\"]+"), r"\1<redacted>"),
    (
        re.compile(r"((?:^|[\s'\"(\[])cookie['\"]?\s*[:,=]\s*b?['\"]?)[^'\"\n]*", re.I),
        r"\1<redacted>",
    ),
    (re.compile(r"(['\"]password['\"]\s*:\s*)(['\"]).*?(?<!\\)\2", re.I), r"\1\2<redacted>\2"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*@", re.I), r"\1<redacted>@"),
)
_E_MAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
"""An e-mail address: a household's (the SDK logs a tool's failure in the words the
household reads, "... rejected the e-mail or password for jana@example.com; ...")."""


def redacted(text: str) -> str:
    """`text` with session cookies and passwords blanked, and every e-mail address written
    as `<household h…>`, the pseudonym the operator's commands print."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return _E_MAIL.sub(lambda found: f"<household {subject_of(found.group())}>", text)


class RedactSecrets(logging.Filter):
    """Blanks session cookies and passwords, and hides e-mail addresses, in every log line,
    whoever logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets blanked; never drops a record."""
        text = record.getMessage()
        clean = redacted(text)
        if clean != text:
            record.msg, record.args = clean, None
        return True


class _RedactedTraceback(logging.Formatter):
    """The standard line, its traceback redacted too (an exception's message may name an
    e-mail address)."""

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802  (logging's name)
        """The traceback, redacted."""
        return redacted(super().formatException(ei))


class LeaveOutagesToUs(logging.Filter):
    """Drops a record whose exception is our state failing: `remote.outages.StateOutage`
    answers 503 and logs it in one line. The SDK's authorize handler logs any exception
    with its traceback ("Unexpected error in authorization_handler") before its fallback
    reads the state again and lets it through to us."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record carrying a `StateFileError`."""
        return not (record.exc_info and isinstance(record.exc_info[1], StateFileError))


OUTAGE_LOGGERS = ("mcp.server.auth.handlers.authorize",)
"""The SDK's loggers that log a failure of our state that `StateOutage` logs again."""


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (its message already redacted by the filter)."""
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redacted(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "WARNING", form: str = "text") -> None:
    """Redacted log lines on stderr, plain or one JSON object each (`form`), installed
    before MCPServer can install its own handler.

    httpx's INFO lines and httpcore's DEBUG trace name whole URLs (a password in
    OIG_CLOUD_BASE_URL) and headers (Set-Cookie), so both log only from WARNING up,
    whatever level the user asks for; hpack's trace only from INFO up.
    """
    root = logging.getLogger()
    if not any(getattr(h, "_oig", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonLines()
            if form == "json"
            else _RedactedTraceback("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler.addFilter(RedactSecrets())
        handler._oig = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
    for name in OUTAGE_LOGGERS:
        sdk = logging.getLogger(name)
        if not any(isinstance(f, LeaveOutagesToUs) for f in sdk.filters):
            sdk.addFilter(LeaveOutagesToUs())
    for wire in ("httpx", "httpcore"):
        logging.getLogger(wire).setLevel(max(root.level, logging.WARNING))
    logging.getLogger("hpack").setLevel(max(root.level, logging.INFO))
