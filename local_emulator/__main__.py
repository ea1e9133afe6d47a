"""``python -m local_emulator ...``: the local command line (see ``local_emulator.cli``)."""

from local_emulator.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
