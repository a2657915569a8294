"""Township smart-governance cockpit (基层智治驾驶舱): core package.

The core never imports Dash. Import graph: pages -> queries/figures -> cockpit -> database.
"""

__version__ = "0.1.0"
