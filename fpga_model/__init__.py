"""The bit-accurate model of the recursive digit array, its configuration and its costs."""

from .config import DEFAULT_BITS, MAX_BITS, MIN_BITS, ArrayConfig, parse_bits, parse_tiles
from .cycles import (CYCLE_COSTS, CycleCosts, ideal_macs_per_cycle, latency_seconds,
                     pass_counters, utilization)
from .descriptor import (DESC_BYTES, DESC_FIELDS, ERROR_CODES, ERRORS, STAT_BYTES, STAT_FIELDS,
                         Descriptor, Pass, needs_c64)
from .digits import code_range, num_digits, pad_bits, ring_pairs, split_digits, truncate
from .energy import PROFILES, EnergyProfile, energy_joules, get_profile
from .errors import AccumulatorOverflow, ConfigError
from .fast import exact_matmul, gemm
from .reference import brick_product, gemm_reference
from .regmap import KERNEL_NAME, REGMAP, VLNV, Register, register
from .resources import RESOURCE_COSTS, ResourceEstimate, estimate_resources
from .result import GemmResult

__all__ = [
    # configuration
    "ArrayConfig", "parse_bits", "parse_tiles", "DEFAULT_BITS", "MIN_BITS", "MAX_BITS",
    # the model
    "gemm", "gemm_reference", "GemmResult", "exact_matmul", "brick_product",
    "code_range", "num_digits", "pad_bits", "ring_pairs", "split_digits", "truncate",
    # costs
    "CycleCosts", "CYCLE_COSTS", "pass_counters", "ideal_macs_per_cycle", "utilization",
    "latency_seconds", "EnergyProfile", "PROFILES", "get_profile", "energy_joules",
    "ResourceEstimate", "estimate_resources", "RESOURCE_COSTS",
    # hardware contract
    "Descriptor", "Pass", "DESC_FIELDS", "DESC_BYTES", "STAT_FIELDS", "STAT_BYTES",
    "ERROR_CODES", "ERRORS", "needs_c64", "REGMAP", "Register", "register", "VLNV", "KERNEL_NAME",
    # errors
    "ConfigError", "AccumulatorOverflow",
]
