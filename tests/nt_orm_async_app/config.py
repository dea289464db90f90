import os
import tempfile

from nest.core.database.orm_provider import AsyncOrmProvider

# As `nest generate application -db sqlite --is-async` writes it (configured file in the
# temp directory, so that a test can prove nest-testing never creates it).
config = AsyncOrmProvider(
    db_type="sqlite",
    config_params=dict(
        db_name=os.getenv(
            "NT_ASYNC_DB_NAME",
            os.path.join(tempfile.gettempdir(), f"nt_orm_async_app_configured_{os.getpid()}"),
        ),
    ),
    echo=False,
)
