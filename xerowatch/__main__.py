"""Allow `python -m xerowatch`."""

from xerowatch.cli import main

main()
