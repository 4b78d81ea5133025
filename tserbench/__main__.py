"""``python -m tserbench``: the same command line as the ``tserbench`` script."""

import sys

from tserbench.cli import main

sys.exit(main())
