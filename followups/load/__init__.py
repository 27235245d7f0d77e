"""The load data set behind ``manage.py seed_load`` (one module per area of the portal).

``LOAD_VERSION`` goes up whenever what the loaders write changes; it is written into
the data set (the busy clinic's description), so the bench remakes an older one.
"""

from __future__ import annotations

LOAD_VERSION = 2
LOAD_MARK = f"Load data set v{LOAD_VERSION}"
