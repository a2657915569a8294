"""``python -m cockpit``: see ``cockpit.cli``."""

from cockpit.cli import main

raise SystemExit(main())
