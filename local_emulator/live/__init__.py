"""Opt-in checks against the real services: the fake must serve what they serve."""
