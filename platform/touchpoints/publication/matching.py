"""Does a fetched page show the current version of an agency's list?

Three proofs, strongest first: the page embeds the platform's card of the list (an iframe or a
script from ``/p/<slug>/embed``), links the platform's public page of the list (``/p/<slug>/``,
always the current version, or ``/p/<slug>/v/<current>/``), or its text names the order that
approved the current version: its number and its date close together, whatever the spacing,
«№» or «N», and the date written 28.02.2024 or «28» февраля 2024 г.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from touchpoints.core.text import MONTHS_GENITIVE

#: Characters of page text kept around what matched.
EXCERPT = 160
#: At most this many characters between the order's number and its date.
NEAR = 120


@dataclasses.dataclass(frozen=True)
class Expected:
    """What the page must show: taken from the current version."""

    slug: str
    version_number: int
    order_number: str
    order_date: date
    #: Host names (with port, lower case) the platform's public pages are served from.
    platform_hosts: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Match:
    #: embed / link / order, or None when the page shows none of them.
    kind: str | None
    #: What matched, for people: an address or the words found.
    evidence: str
    excerpt: str


class _Page(HTMLParser):
    SKIP = {"script", "style", "noscript", "template"}
    SOURCES = {"iframe": "src", "script": "src", "embed": "src", "object": "data", "frame": "src"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.embeds: list[str] = []
        self.links: list[str] = []
        self.base: str | None = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        if tag in self.SOURCES and a.get(self.SOURCES[tag]):
            self.embeds.append(a[self.SOURCES[tag]])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in self.SKIP:
            self._skip += 1
        elif tag in {"p", "div", "br", "li", "tr", "td", "h1", "h2", "h3", "section"}:
            self._text.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self._text.append(data)

    @property
    def text(self) -> str:
        return normalise("".join(self._text))


def normalise(text: str) -> str:
    """One space for any run of whitespace (no-break and thin spaces included)."""
    return re.sub(r"[\s\u00a0\u2007\u202f\u2009\u200b]+", " ", text).strip()


def _platform_path(url: str, page_url: str, expected: Expected) -> str | None:
    """The path of ``url`` when it is a page of the platform about this agency's list."""
    absolute = urljoin(page_url, url.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in {"http", "https"} or parts.netloc.lower() not in expected.platform_hosts:
        return None
    own = f"/p/{expected.slug}"
    if parts.path != own and not parts.path.startswith(own + "/"):
        return None
    return parts.path


def _is_current(path: str, expected: Expected) -> bool:
    """A link to an older version does not show the current one."""
    m = re.match(rf"^/p/{re.escape(expected.slug)}/v/(\d+)(/|$)", path)
    return m is None or int(m.group(1)) == expected.version_number


def date_patterns(day: date) -> list[str]:
    month = MONTHS_GENITIVE[day.month - 1]
    d, m, y = day.day, day.month, day.year
    return [
        rf"(?<!\d)0?{d}\s?[./]\s?0?{m}\s?[./]\s?(?:{y}|{y % 100:02d})(?!\d)",
        rf"(?<!\d)«?\s?0?{d}\s?»?\s{month}\s{y}(?!\d)",
    ]


def number_pattern(number: str) -> str:
    words = [re.escape(w) for w in normalise(number).split(" ") if w]
    core = r"\s?".join(words)
    # «№ 21», «№21», «N 21», «No. 21»; the number must not run on into more digits or letters.
    return rf"(?:№|N[oо]?\.?|номер)\s?{core}(?![\w/-])"


def find_order(text: str, expected: Expected) -> tuple[str, str] | None:
    """(the words found, an excerpt) when the text names the order's number and date."""
    lowered = text.lower()
    numbers = [m for m in re.finditer(number_pattern(expected.order_number.lower()), lowered, re.I)]
    if not numbers:
        return None
    dates = [m for p in date_patterns(expected.order_date) for m in re.finditer(p, lowered)]
    for n in numbers:
        for d in dates:
            gap = max(d.start() - n.end(), n.start() - d.end())
            if gap <= NEAR:
                start, end = min(n.start(), d.start()), max(n.end(), d.end())
                return text[start:end], _excerpt(text, start, end)
    return None


def _excerpt(text: str, start: int, end: int) -> str:
    a, b = max(0, start - EXCERPT), min(len(text), end + EXCERPT)
    return ("…" if a else "") + text[a:b] + ("…" if b < len(text) else "")


def examine(html: str, page_url: str, expected: Expected) -> Match:
    page = _Page()
    page.feed(html)
    page.close()
    base = urljoin(page_url, page.base) if page.base else page_url
    text = page.text
    for kind, urls in (("embed", page.embeds), ("link", page.links)):
        for url in urls:
            path = _platform_path(url, base, expected)
            if path is not None and _is_current(path, expected):
                return Match(kind, urljoin(base, url.strip()), _excerpt(text, 0, 0))
    found = find_order(text, expected)
    if found:
        return Match("order", found[0], found[1])
    return Match(None, "", _excerpt(text, 0, 0))
