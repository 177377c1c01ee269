"""Data tables that drive detection and fixes. Each is checked against the real libraries by
``tests/test_tables.py`` on the pinned stacks."""
