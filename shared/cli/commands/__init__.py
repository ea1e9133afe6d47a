"""Production commands, one module each (``COMMAND = Command(...)``); see ``shared.cli``."""
