"""`python -m quakejax ...`: the same as the `quakejax` console script."""

import sys

from .cli import main

sys.exit(main())
