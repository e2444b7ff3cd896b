"""The app's Jinja template class: the same templates, a cheaper ``{% from … import %}``.

Each import in a template asks whether the importing page has globals the imported one
lacks (then it builds the imported module afresh for it). Jinja asks it with a set
difference against a ChainMap's keys view, which walks both maps in Python, ~60 lookups a
time; two imports were a twentieth of a results page's template time (bench/pages.py).
The question here is the same, asked with one C-level set operation.
"""

from __future__ import annotations

from typing import Any

import jinja2
from flask import Flask
from jinja2.runtime import Context


class Template(jinja2.Template):
    """A Jinja template whose imports check for new globals with one set operation."""

    def _get_default_module(self, ctx: Context | None = None) -> Any:
        if ctx is not None and ctx.globals_keys.issubset(self.globals):
            ctx = None  # no global the imported module lacks: Jinja then uses its cached module
        return super()._get_default_module(ctx)


def init_app(app: Flask) -> None:
    """Make the app's templates of this class (before any template is loaded)."""
    app.jinja_env.template_class = Template
