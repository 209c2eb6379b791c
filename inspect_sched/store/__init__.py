"""The database: tables, engines, migrations, snapshots and importers.

Only constants live here, so that the command line can name them without importing
SQLAlchemy (``inspect-sched --help`` must start at once).
"""

DEFAULT_URL = "sqlite:///inspect_sched.db"
ENV_VAR = "INSPECT_SCHED_DB"
