"""Run inspect-sched from a checkout: ``python cli.py --help``."""

from inspect_sched.cli import main

if __name__ == "__main__":
    main()
