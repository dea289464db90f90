import os
import tempfile

from nest.core.database.orm_provider import OrmProvider

# The production database. PyNest's template reads SQLITE_DB_NAME too, and defaults to a
# file in the working directory; here it is a temporary file per process, so a run of the
# production app (tests/test_deployed_differential.py serves it as deployed) leaves
# nothing in the checkout. The example's own tests never open it: `nest_database` in
# pyproject.toml and `use_database(config)` give them a test database instead.
DB_NAME = os.getenv(
    "SQLITE_DB_NAME", os.path.join(tempfile.gettempdir(), f"orm_sync_app_{os.getpid()}")
)

config = OrmProvider(db_type="sqlite", config_params=dict(db_name=DB_NAME))
