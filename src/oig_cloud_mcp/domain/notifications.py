"""Parse the portal's notification widget (spec §5.3) into `Notification` models.

The portal answers `[[11, "ctrl-notifs", "<html…>", null]]`; each
`<div class="folder">` in the HTML is one notification.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Literal

from .models import Notification, Severity
from .parsing import PORTAL_TZ, duration_words
from .plausible import printable

SEVERITY_BY_LEVEL: dict[int, Severity] = {
    1: "info",
    2: "warning",
    3: "warning",
    4: "error",
    5: "critical",
}
SEVERITY_RANK: dict[Severity, int] = {"info": 0, "warning": 1, "error": 2, "critical": 3}

MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 1000
"""Longer titles and bodies are cut (ending in "…"): real ones are a line or two."""

# [0-9], not \d: a box id or date is ASCII digits, never other scripts' digits.
_DATE = re.compile(r"([0-9]{1,2})\.\s*([0-9]{1,2})\.\s*([0-9]{4})\s*\|?\s*([0-9]{1,2}):([0-9]{2})")
_BOX = re.compile(r"#\s*([0-9]{1,20})(?![0-9])")
_LEVEL = re.compile(r"level-([0-9]{1,2})(?![0-9])")
_FIELDS = ("date", "row-2", "body")


def extract_html(payload: object) -> str | None:
    """The HTML fragment of a Controller.Call answer, or None if the shape is unexpected."""
    if isinstance(payload, list) and payload and isinstance(payload[0], list):
        command = payload[0]
        if len(command) > 2 and isinstance(command[2], str):
            fragment = command[2]
            if "<div" not in fragment and "&lt;" in fragment:
                fragment = html.unescape(fragment)
            return fragment
    return None


@dataclass
class _Raw:
    level: int | None = None
    texts: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in _FIELDS})
    strong: list[str] = field(default_factory=list)


class _FolderParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.entries: list[_Raw] = []
        self._field_depth: list[tuple[str, int]] = []
        self._depth = 0
        self._in_strong = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "br" or (tag == "p" and self._field_depth):
            self._text("\n")
        if tag != "div":
            self._in_strong = self._in_strong or tag == "strong"
            return
        self._depth += 1
        if "folder" in classes:
            self.entries.append(_Raw())
        elif self.entries and "point" in classes:
            match = _LEVEL.search(" ".join(classes))
            self.entries[-1].level = int(match.group(1)) if match else None
        for name in _FIELDS:
            if name in classes and self.entries:
                self._field_depth.append((name, self._depth))

    def handle_endtag(self, tag: str) -> None:
        if tag == "strong":
            self._in_strong = False
        if tag != "div":
            return
        if self._field_depth and self._field_depth[-1][1] == self._depth:
            self._field_depth.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        self._text(data)

    def _text(self, data: str) -> None:
        if not self._field_depth or not self.entries:
            return
        entry = self.entries[-1]
        name = self._field_depth[-1][0]
        entry.texts[name].append(data)
        if self._in_strong and name == "row-2":
            entry.strong.append(data)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _clean(parts: list[str]) -> str:
    lines = ("".join(parts)).split("\n")
    return printable("\n".join(" ".join(line.split()) for line in lines if line.strip()))


def parse_time(text: str) -> datetime | None:
    """`D. M. YYYY | H:MM` (portal time) as an aware datetime."""
    match = _DATE.search(text)
    if not match:
        return None
    day, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=PORTAL_TZ)
    except ValueError:
        return None


def _to_notification(raw: _Raw) -> tuple[datetime | None, Notification]:
    when = parse_time(_clean(raw.texts["date"]))
    row = _clean(raw.texts["row-2"])
    label = _clean(raw.strong)
    box_match = _BOX.search(label or row)
    title = row[len(label) :] if label and row.startswith(label) else row
    title = _cut(title.strip().removeprefix("-").strip() or row, MAX_TITLE_CHARS)
    body = _cut(_clean(raw.texts["body"]), MAX_BODY_CHARS)
    severity = SEVERITY_BY_LEVEL.get(raw.level or 1, "info")
    if "bypass" in f"{title} {body}".casefold() and SEVERITY_RANK[severity] < 1:
        severity = "warning"
    return when, Notification(
        time=None if when is None else when.isoformat(),
        severity=severity,
        box_id=box_match.group(1) if box_match else None,
        title=title,
        body=body,
    )


def parse_notifications(fragment: str) -> list[tuple[datetime | None, Notification]]:
    """Every notification in an HTML fragment, in document order, with its parsed time."""
    parser = _FolderParser()
    parser.feed(fragment)
    parser.close()
    return [_to_notification(raw) for raw in parser.entries]


def latest_bypass(
    notifications: list[Notification],
) -> tuple[Literal["on", "off"], Notification] | None:
    """The automatic-bypass state named by the newest bypass notice, and that notice
    (the list is newest first); None when no notice names it."""
    for item in notifications:
        text = f"{item.title} {item.body}".casefold()
        if "bypass" not in text:
            continue
        if "vypnut" in text or re.search(r"\boff\b", text):
            return "off", item
        if "zapnut" in text or re.search(r"\bon\b", text):
            return "on", item
    return None


def bypass_note(notice: Notification, now: datetime) -> str:
    """Where the bypass state comes from: which notice, and how old it is."""
    age = ""
    if notice.time is not None:
        seconds = (now - datetime.fromisoformat(notice.time)).total_seconds()
        age = f", {duration_words(seconds)} ago"
    return (
        f'The bypass state comes from the notice "{notice.title}"{age}; OIG Cloud reports '
        "the bypass only in notices."
    )
