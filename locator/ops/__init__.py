"""Running the service: backups, health, the translation catalog, the admin CLI."""
