import os
import tempfile

from nest.core.database.orm_provider import OrmProvider

# A temporary SQLite file until the test-database issue gives tests their own database:
# this default is the one seam to change (PyNest's template reads SQLITE_DB_NAME too).
DB_NAME = os.getenv(
    "SQLITE_DB_NAME", os.path.join(tempfile.gettempdir(), f"orm_sync_app_{os.getpid()}")
)

config = OrmProvider(db_type="sqlite", config_params=dict(db_name=DB_NAME))
