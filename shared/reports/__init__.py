"""Reconciliation reports: warehouse data to a PDF people would rather look at than read."""
