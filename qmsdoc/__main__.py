"""``python -m qmsdoc``: the command line, as the ``qmsdoc`` command."""

from .cli import main

main()
