"""Wire the web layer on an app: languages, error pages, template helpers, security."""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from werkzeug.routing import IntegerConverter, Map

from locator.admin.confirmations import OUTCOMES
from locator.facilities.taxonomy import FACILITY_TYPES, GROUPS, categories_in
from locator.laws.status import LOCAL_KINDS, STATUS_INFO
from locator.laws.status import badge as law_badge
from locator.notices import CRISIS_LINES, FINDTREATMENT_URL, NO_RESULTS_ADVICE
from locator.places.geo import at_zip_centre
from locator.places.states import state_name
from locator.web import errors, i18n, static
from locator.web.fragments import (
    FragmentCache,
    cached_fragment,
    filled_page,
    filled_search_form,
    template_macros,
)
from locator.web.helpers import (
    args_with,
    chosen_outside,
    directions_url,
    format_distance,
    service_checkboxes,
    service_options,
    tel_href,
    translate_label,
)
from locator.web.json import OrjsonProvider
from locator.web.law_context import law_statuses, local_law_rules
from locator.web.results import facility_items, law_summary


class RowIdConverter(IntegerConverter):
    """A database row id: 1 to 2**31 - 1, so no URL can overflow an INTEGER column."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app: Flask) -> None:
    """Register error handlers, template helpers and languages on ``app`` (before the views:
    their routes use the ``id`` converter)."""
    app.url_map.converters["id"] = RowIdConverter
    app.json = OrjsonProvider(app)
    static.init_app(app)
    Babel(app, locale_selector=i18n.choose_locale)
    i18n.init_app(app)
    # The catalogue is looked up once per request (a fifth of the page; bench/pages.py), and
    # ``_``, ``gettext`` and ``ngettext`` are one call each (Jinja's wrappers were three).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text, **values: i18n.request_translations().ugettext(text),
        lambda one, many, n, **values: i18n.request_translations().ungettext(one, many, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        _=i18n.template_gettext,
        gettext=i18n.template_gettext,
        ngettext=i18n.template_ngettext,
    )
    errors.init_app(app)
    app.extensions["fragment_cache"] = FragmentCache()

    app.jinja_env.globals.update(
        crisis_lines=CRISIS_LINES,
        no_results_advice=NO_RESULTS_ADVICE,
        findtreatment_url=FINDTREATMENT_URL,
        args_with=args_with,
        facility_items=facility_items,
        law_summary=law_summary,
        cached_fragment=cached_fragment,
        filled_search_form=filled_search_form,
        filled_page=filled_page,
        template_macros=template_macros,
        state_name=state_name,
        facility_type_names=FACILITY_TYPES,
        service_groups=GROUPS,
        categories_in=categories_in,
        service_options=service_options,
        service_checkboxes=service_checkboxes,
        chosen_outside=chosen_outside,
        directions_url=directions_url,
        tel_href=tel_href,
        law_badge=law_badge,
        law_statuses=law_statuses,
        local_law_rules=local_law_rules,
        local_law_kinds=LOCAL_KINDS,
        law_status_choices=[(s.value, info.label) for s, info in STATUS_INFO.items()],
        outcome_names=OUTCOMES,
        at_zip_centre=at_zip_centre,
    )
    app.jinja_env.filters["distance"] = format_distance
    app.jinja_env.filters["tr"] = translate_label
