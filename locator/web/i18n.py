"""Languages at run time: which one a request gets, the switch links, translated messages.

A visitor's language comes from ``?lang=`` (remembered in a cookie), else the cookie, else
the browser's Accept-Language, else the first configured language. Messages raised by the
domain (locator/errors.py) are translated here, at the web layer: the template first, then
its parameters are filled in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote, quote_plus

from babel.support import NullTranslations
from flask import Flask, Response, g, request
from flask_babel import get_locale, get_translations, gettext
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from locator.errors import Choices, LocatorError, Message, Term
from locator.meetings.types import type_names_in
from locator.places.gazetteer import Place
from locator.web.session import current_settings

LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language names itself in the switch, so a reader finds theirs whatever is shown.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
VARY = ("Cookie", "Accept-Language")
_CURRENT = ' aria-current="true"'


def offered_languages() -> tuple[str, ...]:
    """Return the interface languages this site offers, first one the default."""
    return current_settings().languages


def choose_locale() -> str:
    """Pick the request's language: ?lang=, then the cookie, then Accept-Language."""
    offered = offered_languages()
    for asked in (_asked_language(), _given(request.cookies, LANG_COOKIE)):
        if asked in offered:
            return str(asked)
    if "HTTP_ACCEPT_LANGUAGE" not in request.environ:  # no header: best_match finds nothing
        return offered[0]
    return request.accept_languages.best_match(offered) or offered[0]


def _asked_language() -> str | None:
    return _given(request.args, "lang")


def _given(values: MultiDict[str, str], name: str) -> str | None:
    """Return ``values.get(name)``: werkzeug's get builds and catches an error when absent,
    a twentieth of a search API answer for the two look-ups of every request."""
    return values[name] if name in values else None  # noqa: SIM401 - see above


def current_language() -> str:
    """Return the request's language code, e.g. "es" (for <html lang>)."""
    return str(get_locale() or offered_languages()[0])


def remember_language(response: Response) -> Response:
    """Keep a language chosen with ?lang= in a cookie, so the next pages follow it."""
    asked = _asked_language()
    if asked in offered_languages() and _given(request.cookies, LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE, str(asked), max_age=LANG_COOKIE_MAX_AGE, samesite="Lax", httponly=True
        )
    # Pages differ by language, so caches must not hand one visitor's language to another.
    if "Vary" in response.headers:
        response.vary.update(VARY)
    else:  # what the update writes, without parsing and writing back a header set
        response.headers["Vary"] = ", ".join(VARY)
    return response


def language_switch() -> Markup:
    """Return the header's language switch: this page in each offered language, by its name.

    Empty when one language is offered. Drawn here, not in a Jinja loop: it is on every page.
    """
    links = language_links()
    if len(links) <= 1:
        return Markup("")
    current = current_language()
    items = "".join(
        f'\n        <li><a href="{escape(url)}" lang="{escape(code)}" hreflang="{escape(code)}"'
        f"{_CURRENT if code == current else ''}>{escape(name)}</a></li>\n        "
        for code, name, url in links
    )
    return Markup(  # noqa: S704 - every value in it is escaped above
        '\n    <nav class="language-switch" aria-label="Language / Idioma">\n      <ul>\n        '
        f"{items}\n      </ul>\n    </nav>\n    "
    )


def language_links() -> list[tuple[str, str, str]]:
    """Return (code, own name, URL) of this page in each offered language.

    Each URL is this one with ``lang`` set (in its place if given, else last), as
    ``urlencode`` writes the arguments with ``lang`` replaced; each is encoded once a page.
    """
    pairs: list[str] = []
    at = None
    for key, value in request.args.items(multi=True):  # one key's values come together
        if key == "lang":
            at = len(pairs) if at is None else at
        else:
            pairs.append(f"{quote_plus(key)}={quote_plus(value)}")
    before, after = (pairs, []) if at is None else (pairs[:at], pairs[at:])
    here = same_site_path(request.path)
    return [
        (
            code,
            LANGUAGE_NAMES.get(code, code),
            f"{here}?{'&'.join([*before, f'lang={quote_plus(code)}', *after])}",
        )
        for code in offered_languages()
    ]


def same_site_path(path: str) -> str:
    """Return ``path`` as a link that stays on this site: one leading slash, escaped.

    A 404 for /%5Cevil.example (or //evil.example) once rendered href="/\\evil.example",
    which browsers open as another site.
    """
    return "/" + quote(path.lstrip("/\\"), safe="/:@!$&'()*+,;=~")


def localize(value: Any) -> str:
    """Translate a message, a term or plain text for the request's language."""
    if isinstance(value, Message):
        return _fill(value.template, value.params)
    if isinstance(value, Term):
        return request_translations().ugettext(str(value))
    if isinstance(value, Choices):
        return f" {gettext('or')} ".join(f"“{item}”" for item in value)
    return request_translations().ugettext(str(value)) if value else ""


def request_translations() -> NullTranslations:
    """Return the request's catalogue, looked up once per request.

    Flask-Babel looks it up again for every string; a results page has ~100 of them.
    """
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found  # type: ignore[no-any-return]


@pass_eval_context
def template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """Translate for a template: Jinja's newstyle ``_()``/``gettext()``, in one call.

    Jinja's own goes through three calls and two context look-ups per string (about 40 on a
    results page); this does what they do: translate, mark safe where the template escapes,
    then always fill in ``%`` placeholders (so ``%%`` reads ``%`` with or without values).
    """
    found = request_translations().ugettext(string)
    shown: str = Markup(found) if eval_ctx.autoescape else found  # noqa: S704 - as Jinja's
    if not variables and "%" not in shown:
        return shown  # what ``%`` would give back, without its escaping helper
    return shown % variables


@pass_eval_context
def template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """Translate a count for a template: Jinja's newstyle ``ngettext()``, in one call."""
    variables.setdefault("num", num)
    found = request_translations().ungettext(singular, plural, num)
    shown: str = Markup(found) if eval_ctx.autoescape else found  # noqa: S704 - as Jinja's
    return shown % variables


def localized_place(place: Place) -> Place:
    """Return the place with its label and note in the request's language, for a page."""
    label = localize(place.label) if isinstance(place.label, Term) else place.label
    note = localize(place.note) if place.note else ""
    return replace(place, label=label, note=note)


def format_name(name: str) -> str:
    """Return a meeting format's name in the request's language where the spec gives one."""
    return type_names_in(current_language()).get(name, name)


def error_message(exc: LocatorError) -> str:
    """Return the error's sentence in the request's language."""
    return _fill(exc.template, exc.params) if exc.template else str(exc)


def _fill(template: str, params: dict[str, Any]) -> str:
    text = str(gettext(template))
    if not params:
        return text
    return text % {name: _param(value) for name, value in params.items()}


def _param(value: Any) -> Any:
    if isinstance(value, Term | Choices):
        return localize(value)
    return value


def init_app(app: Flask) -> None:
    """Remember the chosen language and give templates the switch and ``localize``."""
    app.after_request(remember_language)
    app.jinja_env.globals.update(
        language_switch=language_switch,
        localize=localize,
        current_language=current_language,
        format_name=format_name,
    )
