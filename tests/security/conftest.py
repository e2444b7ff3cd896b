"""The browser fixtures (Chromium, a live server, a guarded page) for the browser probes.

A probe module that uses them defines its own ``live_app``.
"""

from tests.browser.conftest import browser, live_url, page, problems

__all__ = ["browser", "live_url", "page", "problems"]
