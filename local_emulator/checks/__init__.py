"""Checks of a run's QBO books against Stripe's own figures (never the production mapping)."""
