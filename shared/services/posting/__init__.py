"""Posting handlers: one module per Stripe object type."""
