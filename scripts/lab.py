#!/usr/bin/env python3
"""The lab: start, stop, kill and watch the blog's processes (`make run`, `make status`, …).

This file is only the entry the Makefile calls (`python3 scripts/lab.py run`); the lab
itself is the package beside it, `scripts/lablib/`, whose `__init__` tells how it works.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lablib import main  # noqa: E402 (the package is found through the line above)

if __name__ == "__main__":
    main(sys.argv[1:])
