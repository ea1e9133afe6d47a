"""Synthetic Stripe data: a tiny Stripe simulator, invoices in the basil shape, generated months."""

from local_emulator.generator.month import generate_month

__all__ = ["generate_month"]
