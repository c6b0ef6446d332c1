"""`python -m bot`: the same command line as `trainbot`."""

from bot.runtime.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
