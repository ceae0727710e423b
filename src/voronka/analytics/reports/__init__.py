"""Report definitions; importing this package registers them (in the order of the Reports menu)."""

from . import funnel, closed, stuck, clients  # noqa: F401  (isort: skip)
