"""`python -m tipline.cli`: the `tipline` command, without its console script."""

import sys

from tipline.cli import main

sys.exit(main())
