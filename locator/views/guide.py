"""The care guide: plain-language pages on the kinds of help, and the "which kind of help?"
questionnaire (answered in the browser only: nothing it asks reaches the server)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from locator.facilities.guide import REVIEWED_ON, TOPICS, find_topic

bp = Blueprint("guide", __name__, url_prefix="/guide")


@bp.get("/")
def index() -> str:
    """List the guide's pages."""
    return render_template("guide/index.html", topics=TOPICS, reviewed_on=REVIEWED_ON)


@bp.get("/which-help")
def which_help() -> str:
    """Show the questionnaire; its script suggests a starting search without sending anything."""
    return render_template(
        "guide/which_help.html", topics={t.slug: t for t in TOPICS}, reviewed_on=REVIEWED_ON
    )


OLD_SLUGS = {"counselling": "counseling"}


@bp.get("/<slug>")
def topic(slug: str) -> str | Response:
    """Show one guide page with its searches and sources."""
    if slug in OLD_SLUGS:  # links shared before the pages spoke US English keep working
        return redirect(url_for("guide.topic", slug=OLD_SLUGS[slug]), 301)
    found = find_topic(slug)
    if found is None:
        abort(
            404,
            gettext(
                "There is no guide page by that name. The guide's pages are listed at /guide/."
            ),
        )
    return render_template(
        f"guide/topics/{found.slug}.html", topic=found, topics=TOPICS, reviewed_on=REVIEWED_ON
    )
