"""`python -m tuner` is the same as the `tuner` console script.

The guard matters: worker processes started with "spawn" (the validator's, from the app)
re-import the main module under the name `__mp_main__`, and must not start tuner again.
"""

import sys

from tuner.cli import main

if __name__ == "__main__":
    sys.exit(main())
