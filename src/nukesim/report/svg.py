"""Matplotlib figures as inline SVG: self-contained, accessible, and safe to put several on a page.

A figure becomes an ``<svg>`` element with nothing outside itself: no XML prolog or DOCTYPE (which
name a DTD on the web), no metadata block, text as text (``svg.fonttype: none``, so it can be
searched and read by a screen reader) and every ``id`` prefixed so that two figures on one page
never share one. The element carries ``role="img"``, a ``<title>`` and a ``<desc>`` (the text
alternative).
"""

from __future__ import annotations

import io
import itertools
import re
from html import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "nukesim", "font.size": 9,
                     "font.family": "DejaVu Sans"})

_counter = itertools.count()


def to_svg(fig, title: str, desc: str) -> str:
    """The figure as an inline ``<svg>`` element with a title and a text alternative; closes it."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    prefix = f"f{next(_counter)}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    label = f"{prefix}title"
    head, rest = text.split(">", 1)
    return (f'{head} role="img" aria-labelledby="{label} {prefix}desc">'
            f'<title id="{label}">{escape(title)}</title><desc id="{prefix}desc">{escape(desc)}</desc>'
            f"{rest}")
