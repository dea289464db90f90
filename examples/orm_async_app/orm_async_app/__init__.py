"""An async ORM PyNest app in the shape ``nest generate application`` makes
(SQLite + aiosqlite, ``Depends(config.get_db)``); ``src/`` is ``orm_async_app/`` here, so
that several example apps share one test run."""
