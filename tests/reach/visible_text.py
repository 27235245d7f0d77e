"""The words a page shows (and says to a screen reader), for comparing two languages.

``page_text(html)`` returns the text segments a reader meets in the page's own language:
text nodes, the page title, and the labels assistive technology reads (``aria-label``,
``title``, ``alt``, ``placeholder``, an ``<optgroup>``'s label). Left out, because they are
not ours to translate: scripts and styles; what a person typed (``<textarea>`` content and
``value`` attributes); passages in another language (a ``lang`` attribute other than the
page's: a clinic's Spanish description, an English review) and passages marked
``translate="no"`` (clinic, doctor and city names).

``words_left(segment, names)`` gives the words a segment still has once proper
names, numbers, codes, e-mail addresses and web addresses are taken out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIP_TAGS = {"script", "style", "template", "textarea", "svg"}
VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = ""
        # One entry per open element: does it (or an ancestor) hide its text from us?
        self.stack: list[tuple[str, bool]] = []
        self.segments: list[str] = []

    @property
    def hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.page_language = values.get("lang", "").split("-")[0]
        lang = values.get("lang", "").split("-")[0]
        hidden = (
            self.hidden
            or tag in SKIP_TAGS
            or values.get("translate") == "no"
            or bool(lang and self.page_language and lang != self.page_language)
        )
        if not hidden:
            for name in SPOKEN_ATTRIBUTES:
                self._add(values.get(name, ""))
            if tag == "optgroup":
                self._add(values.get("label", ""))
        if tag not in VOID_TAGS:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Pop to the matching element; stray end tags (HTML is forgiving) are ignored.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.segments.append(text)


def page_text(html: str) -> list[str]:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.segments


# E-mail and web addresses, and file names ("knee-mri.pdf").
ADDRESS = re.compile(
    r"\S+@\S+|https?://\S*|\b[\w.-]+\.(?:example|com|org)\b\S*|\b[\w-]+\.[A-Za-z0-9]{2,4}\b"
)
# A token with a digit, or in capitals ("MSC", "USD", "SC-4F7K-Q2PA"), is a number or a code.
CODE = re.compile(r"\S*\d\S*|\b[A-Z][A-Z0-9-]+\b")
WORD = re.compile(r"[^\W\d_]{2,}")


def words_left(segment: str, names: frozenset[str]) -> list[str]:
    """The words of ``segment`` that are not a proper name, a number, a code or an address."""
    text = ADDRESS.sub(" ", segment)
    for name in sorted(names, key=len, reverse=True):
        if name and name in text:
            text = text.replace(name, " ")
    text = CODE.sub(" ", text)
    return WORD.findall(text)
