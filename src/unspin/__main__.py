"""`python -m unspin …`: the same CLI as the `unspin` console script."""
import sys

from unspin.cli import main

if __name__ == "__main__":
    sys.exit(main())
