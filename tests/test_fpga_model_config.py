"""ArrayConfig: derived numbers, validation messages (pinned), JSON round trip."""

from __future__ import annotations

import pytest

from boards import UserError
from fpga_model import ArrayConfig, ConfigError, parse_bits, parse_tiles


def test_defaults_and_derived():
    cfg = ArrayConfig()
    assert cfg.bits == (3, 4, 6, 8, 12) and cfg.board == "zc706" and cfg.tiles == (8, 8)
    assert [cfg.digits(b) for b in cfg.bits] == [2, 2, 3, 4, 6]
    assert [cfg.pad(b) for b in cfg.bits] == [1, 0, 0, 0, 0]
    assert cfg.max_digits == 6 and cfg.max_rings == 6
    assert cfg.max_shift == 20  # 2*(i+j) for the top pair of 12-bit operands
    assert cfg.max_k == 1 << 17
    p = cfg.hdl_parameters()
    assert p["TM"] == 8 and p["ACC_WIDTH"] == 48 and p["BITS_MASK"] == sum(1 << b for b in cfg.bits)
    assert cfg.clock_hz == 200e6 and cfg.num_bricks == 8 * 8 * 16


def test_bits_are_sorted():
    assert ArrayConfig(bits=(8, 3, 4)).bits == (3, 4, 8)


def test_json_round_trip():
    cfg = ArrayConfig(bits=(4, 8, 16), board="zcu104", tiles=(4, 6), clock_mhz=150.0)
    again = ArrayConfig.from_json(cfg.to_json())
    assert again == cfg and again.config_hash() == cfg.config_hash()
    assert again.max_k == cfg.max_k


def test_safe_max_k_is_tight():
    cfg = ArrayConfig(bits=(16,))
    safe = cfg.safe_max_k()
    ArrayConfig(bits=(16,), max_k=safe)  # accepted
    with pytest.raises(ConfigError, match=rf"^max K {safe + 1} can overflow the 48-bit "
                                          rf"accumulator for the 16x16 pair; use --max-k {safe} "
                                          rf"or less, or a wider --acc-width$"):
        ArrayConfig(bits=(16,), max_k=safe + 1)
    # the default is the largest power of two that is safe
    assert cfg.max_k <= safe < 2 * cfg.max_k


@pytest.mark.parametrize("bits, message", [
    ((), r"^the bit-width set is empty; pass e\.g\. --bits 3,4,6,8,12$"),
    ((4, 4, 8), r"^bit-width 4 appears more than once in the set; list each width once$"),
    ((1, 4), r"^bit-width 1 is outside the supported range 2\.\.16; choose widths in that range$"),
    ((4, 17), r"^bit-width 17 is outside the supported range 2\.\.16;"),
    ((4.0,), r"^bit-width 4\.0 is not an integer;"),
])
def test_bad_bits(bits, message):
    with pytest.raises(ConfigError, match=message):
        ArrayConfig(bits=bits)


def test_parse_errors():
    with pytest.raises(ConfigError, match=r"^bit-width 'x' is not an integer;"):
        parse_bits("4,x")
    with pytest.raises(ConfigError, match=r"^tile grid '8' is not ROWSxCOLS; pass e\.g\. --tiles 8x8$"):
        parse_tiles("8")
    assert parse_bits("3, 4,8") == (3, 4, 8) and parse_tiles("4X6") == (4, 6)


def test_grid_that_does_not_fit():
    with pytest.raises(ConfigError, match=r"^a 64x64 tile grid does not fit zc706 \(lut .*\); "
                                          r"use a smaller --tiles$"):
        ArrayConfig(tiles=(64, 64))
    ArrayConfig(tiles=(16, 16))  # ref/hardware.md §7.9: 256 tiles fit the ZC706
    with pytest.raises(ConfigError, match="does not fit pynq-z2"):
        ArrayConfig(board="pynq-z2", tiles=(16, 16))


def test_pair_outside_set():
    with pytest.raises(ConfigError, match=r"^bit-width 10 is not in the supported set "
                                          r"3,4,6,8,12; regenerate with --bits 3,4,6,8,10,12$"):
        ArrayConfig().check_pair(4, 10)


def test_other_refusals():
    with pytest.raises(ConfigError, match="accumulator width 70 is outside 16..60"):
        ArrayConfig(acc_width=70)
    with pytest.raises(ConfigError, match=r"^bricks=7 does not divide the 16 digits of a DDR "
                                          r"plane word; use 1, 2, 4, 8 or 16 bricks per tile$"):
        ArrayConfig(bricks=7)
    with pytest.raises(UserError, match="^unknown board 'nope'; known boards:"):
        ArrayConfig(board="nope")
    with pytest.raises(ConfigError, match=r"tile grid \(0, 4\) must be two positive integers"):
        ArrayConfig(tiles=(0, 4))
    with pytest.raises(ConfigError, match="unknown ArrayConfig field"):
        ArrayConfig.from_dict({"bits": [4], "colour": "red"})
