"""Escaping of untrusted text for Markdown and HTML, as GitHub renders them (cmark-gfm).

Everything the service under test can influence (route templates, messages, bodies, headers, log
lines, identity names from the config of a pull request) goes through one of these before it
reaches a PR comment or a job summary, so a hostile service cannot inject Markdown, HTML, links,
@mentions, or close the `<details>`, code span, code block or table it is shown in.

- `text()`  inline prose and table cells: Markdown punctuation backslash-escaped, `& < > "` as
  entities (entities are never markup), newlines folded; safe inside a table cell.
- `code()`  an inline code span whose delimiter is longer than any backtick run in the text.
- `fence()` a fenced code block whose fence is longer than any backtick run in the text.
- `html()`  text inside raw HTML (`<summary>`), where Markdown is not parsed: entities only.

All of them strip control, zero-width and bidirectional-override characters (a "Trojan source"
reordering of the text), put a zero-width joiner after every `@` so no @mention or team ping is
made, break `://` and `www.` so no URL from the service is turned into a link, break `<!--` so
the text never carries a copy of the comment's hidden marker, and shorten.
"""

from __future__ import annotations

import html as _html
import re

ZWJ = "\u200d"
# C0/C1 controls but TAB, LF and CR, zero-width characters, line/paragraph separators, bidi
# embeddings/overrides/isolates, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def strip_invisible(s: str) -> str:
    """Remove characters a reader cannot see or that reorder or break lines (TAB, LF, CR stay)."""
    return _INVISIBLE.sub("", s)


_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~:=$^])")
_LINKY = re.compile(r"(?i)(://|www\.)")


def _linkless(m: re.Match[str]) -> str:
    s = m.group(1)
    return s[0] + ZWJ + s[1:]


def neutral(value: object, limit: int | None = None) -> str:
    """Untrusted text with invisible characters removed, mentions and links broken, shortened."""
    s = "" if value is None else str(value)
    s = strip_invisible(s.replace("\r\n", "\n").replace("\r", "\n"))
    s = s.replace("@", "@" + ZWJ).replace("<!--", "<!" + ZWJ + "--")  # no mentions, no fake comment marker
    s = _LINKY.sub(_linkless, s)
    return shorten(s, limit)


def shorten(s: str, limit: int | None) -> str:
    if limit is None or len(s) <= limit:
        return s
    return s[: max(limit - 1, 0)] + "…"


def one_line(value: object, limit: int | None = None) -> str:
    return neutral(" ".join(str(value if value is not None else "").split()), limit)


def text(value: object, limit: int | None = 200) -> str:
    """Inline Markdown: no markup survives, safe in a paragraph, a list item or a table cell."""
    s = _MD_PUNCT.sub(r"\\\1", one_line(value, limit))
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _longest_run(s: str, ch: str = "`") -> int:
    return max((len(m) for m in re.findall(f"{re.escape(ch)}+", s)), default=0)


def code(value: object, limit: int | None = 120, in_table: bool = True) -> str:
    """An inline code span that the text cannot close. In a table cell, `|` is escaped as GFM wants."""
    s = one_line(value, limit)
    if not s:
        return "—"
    if in_table:
        s = s.replace("|", "\\|")
    ticks = "`" * (_longest_run(s) + 1)
    # A span starting or ending with a backtick needs a space inside the delimiters; the renderer
    # strips one space on both sides, so the content keeps its own edges.
    pad = " " if s[0] == "`" or s[-1] == "`" else ""
    return f"{ticks}{pad}{s}{pad}{ticks}"


def fence(value: object, lang: str = "", limit: int | None = 2000) -> str:
    """A fenced code block the text cannot close (fence longer than any backtick run in it)."""
    s = neutral(value, limit).expandtabs(4)
    ticks = "`" * max(3, _longest_run(s) + 1)
    return f"{ticks}{lang}\n{s}\n{ticks}"


def html(value: object, limit: int | None = 200) -> str:
    """Text inside raw HTML (a `<summary>`): one line, every markup character as an entity."""
    return _html.escape(one_line(value, limit), quote=True)
