"""``python -m eventstudy``."""

from eventstudy.cli import main

raise SystemExit(main())
