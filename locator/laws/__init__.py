"""State kratom law: statuses in plain words, lookups, and the review of proposed changes."""
