"""property package."""
