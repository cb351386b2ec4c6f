"""``python -m thesis_lib.cli``: the same as the ``thesis`` command."""

import sys

from thesis_lib.cli import main

sys.exit(main())
