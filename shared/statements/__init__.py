"""statements package."""
