"""`python -m npnn` runs the `npnn` command."""

from npnn.cli import main

raise SystemExit(main())
