"""The emulate and boards commands end to end: tables on success, one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest


def fracfpga(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False)


def test_emulate_default():
    r = fracfpga("emulate", "--m", "16", "--k", "40", "--n", "9", "--repeat", "1")
    assert r.returncode == 0, r.stderr
    assert "equals numpy (exact int64 product)" in r.stdout and "yes" in r.stdout
    assert "utilization vs digit roof" in r.stdout and "energy (zc706 profile)" in r.stdout


def test_emulate_early_stop():
    r = fracfpga("emulate", "--pair", "8,8", "--m", "16", "--k", "64", "--n", "16",
                 "--stop-ring", "1", "--tau", "1000", "--repeat", "1")
    assert r.returncode == 0, r.stderr
    assert "outputs stopped early" in r.stdout
    assert "equals numpy (exact product, ring-1 prefix where stopped)" in r.stdout


def test_emulate_asymmetric_prefix_compares_the_truncated_product():
    r = fracfpga("emulate", "--pair", "4,8", "--m", "16", "--k", "64", "--n", "16",
                 "--prefix", "1,4", "--tau", "50", "--repeat", "1")
    assert r.returncode == 0, r.stderr
    assert "equals numpy (exact product, 1 x 4 digit prefix where stopped)" in r.stdout
    row = next(line for line in r.stdout.splitlines() if "equals numpy" in line)
    assert row.split("│")[2].strip() == "yes"


def test_emulate_all_stopped_compares_the_prefix_and_stays_under_the_roof():
    r = fracfpga("emulate", "--m", "8", "--k", "8", "--n", "8", "--stop-ring", "0", "--tau",
                 "0", "--repeat", "1")
    assert r.returncode == 0, r.stderr
    assert "64 of 64" in r.stdout and "ring-0 prefix where stopped" in r.stdout
    util = [line for line in r.stdout.splitlines() if "utilization vs" in line]
    assert len(util) == 2
    for line in util:
        assert float(line.split("│")[2].strip().rstrip("%")) <= 100.0


@pytest.mark.parametrize("args, message", [
    (["emulate", "--pair", "4,10"], "error: bit-width 10 is not in the supported set 3,4,6,8,12; "
                                    "regenerate with --bits 3,4,6,8,10,12"),
    (["emulate", "--bits", "3,3"], "error: bit-width 3 appears more than once in the set"),
    (["emulate", "--board", "zc707"], "error: unknown board 'zc707'; known boards:"),
    (["emulate", "--tiles", "64x64"], "error: a 64x64 tile grid does not fit zc706"),
    (["emulate", "--k", "200000", "--m", "1", "--n", "1"],
     "error: --k 200000 exceeds the array's max K 131072; pass --k 131072 or less"),
    (["emulate", "--stop-ring", "1"], "error: early termination needs --tau with --stop-ring or "
                                      "--prefix"),
    (["emulate", "--prefix", "1,2"], "error: early termination needs --tau with --stop-ring or "
                                     "--prefix"),
    (["emulate", "--prefix", "2", "--tau", "3"], "error: --prefix '2' is not P,Q; pass e.g."),
    (["emulate", "--prefix", "1,2", "--stop-ring", "0", "--tau", "3"],
     "error: --stop-ring and --prefix both name the early-stop prefix; pass one of them"),
    (["emulate", "--pair", "4,8", "--prefix", "3,1", "--tau", "3"],
     "error: prefix (3, 1) must be (p, q) with 1 <= p <= 2 digits of A"),
    (["emulate", "--pair", "4"], "error: --pair '4' is not A_BITS,B_BITS"),
    (["emulate", "--m", "0"], "error: --m 0 must be at least 1"),
    (["boards", "zc707"], "error: unknown board 'zc707'"),
])
def test_bad_input_is_one_line_with_status_2(args, message):
    r = fracfpga(*args)
    assert r.returncode == 2
    assert r.stderr.startswith(message), r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_boards_table_and_detail():
    r = fracfpga("boards")
    assert r.returncode == 0
    for name in ("zc706", "zcu104", "pynq-z2", "ultra96v2", "kv260"):
        assert name in r.stdout
    r = fracfpga("boards", "zc706")
    assert r.returncode == 0 and "DS190" in r.stdout


def test_backends_lists_availability_with_reasons():
    r = fracfpga("backends")
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("│")]
    rows = {ln.split("│")[1].strip(): [c.strip() for c in ln.split("│")[2:-1]] for ln in lines}
    assert list(rows) == ["emulator", "rtl", "pynq"]
    assert rows["pynq"][0] == "no" and "pynq" in rows["pynq"][3]  # the reason is given
    assert rows["emulator"][:3] == ["yes", "1", "3"]  # auto: train first, deploy last
    assert rows["pynq"][1:3] == ["2", "1"]
    r = fracfpga("backends", "nowhere")
    assert r.returncode == 2 and r.stderr.startswith("error: nowhere is not a generated project")
