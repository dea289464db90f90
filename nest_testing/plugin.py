"""The pytest face of nest-testing, loaded through the ``pytest11`` entry point."""
