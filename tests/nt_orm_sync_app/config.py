import os
import tempfile

from nest.core.database.orm_provider import OrmProvider

# As `nest generate application -db sqlite` writes it; the configured file lives in the
# temp directory, one per process, so that a test can prove nest-testing never creates it.
config = OrmProvider(
    db_type="sqlite",
    config_params=dict(
        db_name=os.getenv(
            "NT_SYNC_DB_NAME",
            os.path.join(tempfile.gettempdir(), f"nt_orm_sync_app_configured_{os.getpid()}"),
        ),
    ),
)
