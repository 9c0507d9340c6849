"""The RTL simulators fracfpga runs and the one check of a ``--sim`` value (no heavy imports).

``--sim`` means the same in every command: the name of one RTL simulator. Commands that can run
several (``verify``) take the option more than once.
"""

from __future__ import annotations

from boards.errors import UserError

SIMULATORS = ("icarus", "verilator")
SIM_HELP = "icarus or verilator"


def simulator_name(value: str) -> str:
    """``value`` as a simulator name (case and spaces ignored); else a UserError naming the fix."""
    key = value.strip().lower()
    if key not in SIMULATORS:
        raise UserError(f"unknown simulator {value!r}; pass --sim {SIM_HELP}")
    return key
