"""Importers, one module per source; they import locator, never the reverse."""
