"""``generate_month``: a random but realistic month of Stripe events (local_emulator.generator)."""

from local_emulator.generator.month import generate_month

__all__ = ["generate_month"]
