"""Board data files: every board loads, every fact has a source, unknown names are refused."""

from __future__ import annotations

import re

import pytest

from boards import UnknownBoard, UserError, all_boards, board_names, load_board

FACTS_WITH_SOURCES = ("resources", "board_part", "pl_clock_mhz", "ps_ddr_gbps", "pynq", "port",
                      "port_gbps", "port_latency_cycles", "port_addr_bits")


def test_first_boards_are_there():
    assert {"zc706", "zcu104", "pynq-z2", "ultra96v2", "kv260"} <= set(board_names())


@pytest.mark.parametrize("name", board_names())
def test_board_is_complete(name):
    b = load_board(name)
    assert b.name == name
    assert b.family in ("xc7", "xcup")
    assert min(b.lut, b.ff, b.dsp, b.bram36) > 0 and b.ff >= b.lut
    assert b.pl_clock_mhz > 0 and b.ps_ddr_gbps > 0
    assert b.port_bits == 64 and 0 < b.port_gbps <= b.port_bits / 8 * b.pl_clock_mhz / 1000
    assert b.port_latency_cycles > 0
    assert 32 <= b.port_addr_bits <= 48  # the movers' address arithmetic is one carry chain
    for key in FACTS_WITH_SOURCES:
        assert b.sources.get(key), f"{name}: no source for {key}"
    if b.pl_ddr_gbps is not None:
        assert "pl_ddr_gbps" in b.sources and b.ddr_gbps == b.pl_ddr_gbps


def test_zc706_numbers():
    b = load_board("ZC706")  # names are case-insensitive
    assert (b.part, b.dsp, b.bram36, b.lut) == ("xc7z045ffg900-2", 900, 545, 218600)
    assert b.ddr_gbps == 12.8 and b.ps_ddr_gbps == 4.3
    assert (b.port, b.port_bits, b.port_gbps) == ("S_AXI_HP0", 64, 1.2)
    assert b.port_addr_bits == 32


def test_board_is_frozen():
    with pytest.raises(AttributeError):
        load_board("zc706").lut = 1  # type: ignore[misc]


def test_unknown_board_lists_known_ones():
    with pytest.raises(UnknownBoard, match=r"^unknown board 'zc707'; known boards: kv260, "
                                           r"pynq-z2, ultra96v2, zc706, zcu104$"):
        load_board("zc707")
    assert issubclass(UnknownBoard, UserError)


def test_all_boards_sorted():
    names = [b.name for b in all_boards()]
    assert names == sorted(names) and re.match(r"^Board\('zc706'", repr(load_board("zc706")))
