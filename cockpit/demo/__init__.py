"""Demo department sources: a seeded, reproducible fictional township (or county) with one database per
department, a GBK ledger export, and a live simulator that keeps appending and updating records.

Public API: ``generate``, ``simulate_step``, ``simulate``.
"""

from cockpit.demo.generator import generate
from cockpit.demo.simulation import simulate, simulate_step

__all__ = ["generate", "simulate", "simulate_step"]
