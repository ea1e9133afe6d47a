"""functional package."""
