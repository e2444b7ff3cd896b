"""Peer-support meetings: search, local times, formats and types, calendar files, coverage."""
