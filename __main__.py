"""`python -m aicxs`: the `aicxs` command."""

from aicxs.cli import main

if __name__ == "__main__":
    main()
