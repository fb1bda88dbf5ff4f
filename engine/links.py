"""Which links a report may carry: evidence `url`s from the facts end up as links (OSCAL
`relevant-evidence[].href`) that a reader's tool may open or a browser may follow.

Only `http`, `https` and `file` references, and relative references (no scheme), are links:
a `javascript:`, `data:` or `vbscript:` URL would run in the reader's browser. A link holds no
white space or control character either (browsers drop tabs and line breaks inside a URL, so
`java<TAB>script:` is `javascript:`), nor a backslash (which browsers read as `/`). Facts
validation refuses any other link (`aicxs_facts_url`); every output checks again.
"""

from __future__ import annotations

import re

ALLOWED_SCHEMES = frozenset(("http", "https", "file"))
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_NOT_IN_A_LINK = re.compile(r"[\s\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def allowed_link(url: str) -> bool:
    """Whether `url` is an http, https or file URL, or a relative reference."""
    if not url or _NOT_IN_A_LINK.search(url):
        return False
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in ALLOWED_SCHEMES
