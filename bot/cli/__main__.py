"""`python -m bot.cli`: the `ftscope` command (tests and benchmarks run it so)."""

import sys

from bot.cli import main

sys.exit(main())
