"""Map rendering without branca's second template pass.

branca's ``MacroElement.render`` puts each element's rendered header, html and script into the page as
``Element(text)``, and ``Element`` compiles its text as a Jinja2 template, to be rendered again when the page is. The
text is finished output (a layer's script holds its whole GeoJSON), so the compilation only costs: on a map page for
a street union, compiling that output was about a fifth of the CPU of the page run (py-spy, ``bench/street_load.py
--profile``), and streamlit-folium renders every map this way on every run. It is also a second place where user
text could be read as template source (:func:`dashboard.core.geo.maps.safe_text` guards it by escaping braces).

:func:`install` replaces ``MacroElement.render`` with the same steps that keep the output as text
(:class:`Rendered`): the header and html as they are produced, the script when the page's script is rendered (which
streamlit-folium never does: it writes each element's script itself, so a layer's data is written once a run, not
twice). The page is the same text as before, byte for byte where the output holds no template syntax
(``tests/unit/test_maps.py`` compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import branca.element

_ORIGINAL = branca.element.MacroElement.render


class Rendered(branca.element.Element):
    """A part of the page a template has already produced (or will, when the page is rendered), given as text."""

    def __init__(self, produce: Callable[[], str]) -> None:
        super().__init__()
        self._name = "Rendered"
        self._produce = produce

    def render(self, **kwargs: Any) -> str:
        text = self._produce()
        # as Jinja2 gave it back (keep_trailing_newline=False): the page's whitespace is unchanged
        return text[:-1] if text.endswith("\n") else text


def _given(text: str) -> Callable[[], str]:
    return lambda: text


def _render(self: branca.element.MacroElement, **kwargs: Any) -> None:
    """``MacroElement.render`` with the macros' output kept as text (see the module's docstring)."""
    figure = self.get_root()
    assert isinstance(figure, branca.element.Figure), "You cannot render this Element if it is not in a Figure."
    macros = self._template.module.__dict__
    for part in ("header", "html"):
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(Rendered(_given(macro(self, kwargs))), name=self.get_name())
    script = macros.get("script")
    if script is not None:
        figure.script.add_child(Rendered(lambda: script(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


def install() -> None:
    """Render every map without the second pass from now on (class-level and idempotent)."""
    branca.element.MacroElement.render = _render  # type: ignore[method-assign]


def uninstall() -> None:
    """branca's own rendering again (tests compare the two)."""
    branca.element.MacroElement.render = _ORIGINAL  # type: ignore[method-assign]
