"""The web layer shared by the views: app wiring helpers, errors, params, result rendering, i18n,
security, OpenAPI.
"""
