"""local_emulator package."""
