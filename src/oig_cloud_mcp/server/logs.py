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

    httpcore's DEBUG level is a wire trace that includes response headers (Set-Cookie),
    so it never goes below INFO, whatever level the user asks for.
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
    for noisy in ("httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.INFO))
