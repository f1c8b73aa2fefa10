"""Lets ``python -m analyzer`` behave exactly like the ``prodready`` script."""

import sys

from analyzer.cli import main

sys.exit(main())
