"""The ``stripe-qbo-sync`` command line.

Production commands (``shared/cli/commands/``, one module each) use the environment's settings
(``SYNC_*``): the embedded DuckDB warehouse and the in-process queue by default, BigQuery and
Cloud Tasks with the production settings. Local commands (``local_emulator/cli/``) run the
embedded stack with the fake Stripe and fake QBO; they are found only when ``local_emulator`` is
installed beside this package.

A command is a module with a ``COMMAND = Command(...)`` (``shared.cli.command``); dropping such a
module into either package registers it.
"""
