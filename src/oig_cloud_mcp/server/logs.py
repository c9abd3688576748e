"""Log lines on stderr, with session cookies and passwords blanked whoever logs them."""

import json
import logging
import re
import sys

_SECRETS = (
    (re.compile(r"(PHPSESSID=)[^;,\s'\"]+"), r"\1<redacted>"),
    (
        re.compile(r"((?:^|[\s'\"(\[])cookie['\"]?\s*[:,=]\s*b?['\"]?)[^'\"\n]*", re.I),
        r"\1<redacted>",
    ),
    (re.compile(r"(['\"]password['\"]\s*:\s*)(['\"]).*?(?<!\\)\2", re.I), r"\1\2<redacted>\2"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*@", re.I), r"\1<redacted>@"),
)


class RedactSecrets(logging.Filter):
    """Blanks session cookies and passwords in every log line, whoever logs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets blanked; never drops a record."""
        text = record.getMessage()
        redacted = text
        for pattern, replacement in _SECRETS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


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
            entry["exception"] = self.formatException(record.exc_info)
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
            else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler.addFilter(RedactSecrets())
        handler._oig = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
    for wire in ("httpx", "httpcore"):
        logging.getLogger(wire).setLevel(max(root.level, logging.WARNING))
    logging.getLogger("hpack").setLevel(max(root.level, logging.INFO))
