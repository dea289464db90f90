"""A PyNest CLI app in the shape ``nest generate application`` makes for a click app
(``src/`` is ``cli_app/`` here, so that several example apps share one test run)."""
