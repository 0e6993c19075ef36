"""Text handed to Plotly. Plotly reads a subset of HTML in trace names, titles and hover
texts (links, styled spans, line breaks), so a name from a feed or an upload could add a
link to a plot; escaped, it is shown as written (Plotly turns ``&lt;`` back into ``<``)."""

from __future__ import annotations

from html import escape


def plotly_text(value: object) -> str:
    return escape(str(value), quote=False)
