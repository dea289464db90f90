"""A sync ORM PyNest app in the shape ``nest generate application`` makes (SQLite,
services calling ``config.get_session()``); ``src/`` is ``orm_sync_app/`` here, so that
several example apps share one test run."""
