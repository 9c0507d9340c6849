"""Energy model: counters x a per-board energy profile (pJ), plus static power x latency.

E = digit_products*e_dp + tile_cycles*e_tile + buffer_bits*e_buf + dram_bits*e_dram + P_static*T.
Profiles are modelled, not measured on a board; each carries its provenance. Calibrate the FPGA
ones with Vivado ``report_power`` on SAIF activity, or on a board through PMBus.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ArrayConfig
from .errors import ConfigError

__all__ = ["EnergyProfile", "PROFILES", "get_profile", "energy_joules"]


@dataclass(frozen=True)
class EnergyProfile:
    name: str
    e_digit_product_pj: float  # one 2b x 2b brick product (incl. its share of the adder tree)
    e_tile_cycle_pj: float  # shifter + accumulator add + clocking of one active tile for a cycle
    e_buffer_bit_pj: float  # one bit read from on-chip buffers (BRAM/SRAM)
    e_dram_bit_pj: float  # one bit moved to or from DRAM
    p_static_w: float  # static power of the array's share of the device
    source: str


PROFILES: dict[str, EnergyProfile] = {
    p.name: p
    for p in (
        EnergyProfile(
            "horowitz45", 0.0125, 0.10, 10.0 / 64, 640.0 / 32, 0.0,
            "ASIC 45 nm, 0.9 V (Horowitz ISSCC'14): 8b mult 0.2 pJ / 16 bit-products per 2b "
            "digit product, 32b add 0.1 pJ per tile cycle, 8 KB SRAM 10 pJ/64b, DRAM 640 pJ/32b "
            "(Han et al.); no static power"),
        EnergyProfile(
            "zc706", 0.11, 1.1, 0.45, 70.0, 0.30,
            "Modelled for XC7Z045 (28 nm, Kintex-7 fabric): LUT logic ~9x the ASIC figure per "
            "operation (Kuon & Rose FPGA/ASIC gap), DSP48E1 accumulate ~1 pJ, BRAM36 read "
            "~0.45 pJ/bit (Xilinx XPE at 200 MHz), PS DDR3 ~70 pJ/bit (DDR3 interface + "
            "memory, Micron power calculator); static share 0.3 W. Not board-measured."),
        EnergyProfile(
            "zynq7", 0.11, 1.1, 0.45, 70.0, 0.12,
            "Zynq-7000 (XC7Z020) fabric: zc706 per-operation figures, smaller device static "
            "share (XPE). Not board-measured."),
        EnergyProfile(
            "zynqmp", 0.07, 0.75, 0.30, 45.0, 0.35,
            "Zynq UltraScale+ (16 nm): zc706 figures scaled by ~0.65 for the node (Xilinx "
            "XPE), DDR4 ~45 pJ/bit. Not board-measured."),
    )
}


def get_profile(name: str) -> EnergyProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigError(f"unknown energy profile {name!r}; known: "
                          f"{', '.join(sorted(PROFILES))}") from None


def energy_joules(cfg: ArrayConfig, counters: dict[str, int], latency_s: float,
                  profile: str | EnergyProfile | None = None) -> dict[str, float]:
    """Energy of a pass (J) by component, with the board's profile unless one is named."""
    p = profile if isinstance(profile, EnergyProfile) else get_profile(
        profile or cfg.board_info.energy_profile)
    parts = {
        "compute": (counters["digit_products"] * p.e_digit_product_pj
                    + counters["tile_cycles"] * p.e_tile_cycle_pj) * 1e-12,
        "buffer": counters["buffer_bits"] * p.e_buffer_bit_pj * 1e-12,
        "dram": counters["dram_bits"] * p.e_dram_bit_pj * 1e-12,
        "static": p.p_static_w * latency_s,
    }
    parts["total"] = sum(parts.values())
    return parts
