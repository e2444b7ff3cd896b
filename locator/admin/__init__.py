"""Admin accounts and roles, and the problem reports people send."""
