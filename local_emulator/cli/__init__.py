"""Local commands of ``stripe-qbo-sync``, one module each (``COMMAND = Command(...)``): they run
the embedded stack (fake Stripe, fake QBO, the functions, the in-process queue). The command
line itself, and the production commands, are in ``shared.cli``; ``python -m local_emulator``
is the same command line."""
