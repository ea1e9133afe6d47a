"""``python -m local_emulator ...``: the ``stripe-qbo-sync`` command line (``shared.cli``)."""

from shared.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m local_emulator"))
