"""`python -m aicap`, the same as the `aicap` command."""

from aicap.cli import main

main()
