#!/usr/bin/env python3
"""Run nukesim from a checkout: the same command line as the ``nukesim`` console script.

With no arguments it runs the default China scenario.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from nukesim.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
