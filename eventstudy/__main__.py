"""``python -m eventstudy``."""

from eventstudy.cli import console

raise SystemExit(console())
