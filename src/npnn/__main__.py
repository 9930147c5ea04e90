"""`python -m npnn` runs the `npnn` command."""

from npnn.cli import main

if __name__ == "__main__":  # search workers re-import this module when they start
    raise SystemExit(main())
