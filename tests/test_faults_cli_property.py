"""Property: whatever values a user types, a command exits 0, or 2 with one line; no traceback.

Hypothesis draws option values (numbers of every sign and size, NaN and infinities, malformed
lists, unknown names) for the commands whose options are numbers and lists. Runs are in-process
through ``host.cli.main`` and the sizes are capped so that each successful run is short.
"""

from __future__ import annotations

import contextlib
import io
import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.cli import main

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            rc = 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return rc, out.getvalue(), err.getvalue()


def clean_answer(argv: list[str]) -> int:
    """Run ``argv`` and assert the property; return the exit status."""
    rc, out, err = run(argv)
    assert "Traceback" not in out + err, (argv, err)
    assert rc in (0, 2), (argv, rc, out, err)
    if rc == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
    return rc


def number_text(ints: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """Integers as text, plus the malformed spellings people type."""
    return st.one_of(ints.map(str), st.sampled_from(["", "x", "1.5", "1e3", "-", "0x10", " 4"]))


def float_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e309", "-0.0", "abc", ""]))


def width_list() -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(st.integers(-3, 20), min_size=0, max_size=5).map(
            lambda xs: ",".join(map(str, xs))),
        st.sampled_from(["4,,8", "4;8", "a,b", "8,4", " 4 , 8 "]))


def mostly(valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values seven times in eight: successful runs are checked too."""
    return st.integers(0, 7).flatmap(lambda i: invalid if i == 0 else valid)


SMALL = st.integers(-3, 24)
SEED = st.one_of(st.integers(-(2**40), 2**40), st.integers(0, 10))


@SETTINGS
@given(m=mostly(st.integers(1, 24).map(str), number_text(SMALL)),
       k=mostly(st.integers(1, 64).map(str), number_text(st.one_of(SMALL, st.sampled_from(
           [131072, 131073, 10**8, 2**63])))),
       n=mostly(st.integers(1, 24).map(str), number_text(SMALL)),
       seed=mostly(st.integers(0, 2**32 - 1).map(str), number_text(SEED)),
       pair=mostly(st.sampled_from(["4,8", "8,8", "8,4", "4,4"]),
                   st.sampled_from(["4", "4,10", "x,y", "3,4,5", "4,8,"])),
       stop=st.one_of(st.none(), st.tuples(number_text(st.integers(-2, 8)),
                                           number_text(st.integers(-5, 10**6)))),
       bits=mostly(st.just("4,8"), width_list()),
       tiles=mostly(st.sampled_from(["2x2", "1x1", "3X1"]),
                    st.sampled_from(["0x2", "2x", "64x64", "ax2"])))
def test_emulate_answers_cleanly(m, k, n, seed, pair, stop, bits, tiles):
    argv = ["emulate", "--m", m, "--k", k, "--n", n, "--seed", seed, "--pair", pair,
            "--bits", bits, "--tiles", tiles, "--repeat", "1"]
    if stop is not None:
        argv += ["--stop-ring", stop[0], "--tau", stop[1]]
    clean_answer(argv)


@pytest.fixture(scope="module")
def scratch():
    d = Path(tempfile.mkdtemp(prefix="fracfpga-prop-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@settings(SETTINGS, max_examples=25)
@given(bits=mostly(st.sampled_from(["4,8", "3,4,6,8,12", "2,16", "5"]), width_list()),
       tiles=mostly(st.sampled_from(["1x1", "2x1"]), st.sampled_from(["0x1", "1by1", "200x200"])),
       acc=mostly(st.integers(40, 60).map(str), number_text(st.integers(-10, 80))),
       clock=st.one_of(st.none(), mostly(st.floats(1, 1000).map(repr), float_text())),
       max_k=st.one_of(st.none(), number_text(st.integers(-5, 2**20))),
       seed=mostly(st.integers(0, 2**32 - 1).map(str), number_text(SEED)),
       board=mostly(st.just("zc706"), st.sampled_from(["ZC706", "nope", ""])))
def test_generate_answers_cleanly(scratch, bits, tiles, acc, clock, max_k, seed, board):
    out = scratch / "p"
    argv = ["generate", "--bits", bits, "--tiles", tiles, "--acc-width", acc, "--seed", seed,
            "--board", board, "--out", str(out)]
    if clock is not None:
        argv += ["--clock-mhz", clock]
    if max_k is not None:
        argv += ["--max-k", max_k]
    if clean_answer(argv) == 0:
        assert (out / "manifest.json").is_file()
        if clock is not None:
            assert 1 <= float(clock) <= 1000 and not math.isnan(float(clock))


@SETTINGS
@given(lr=float_text(), seed=number_text(SEED), epochs=number_text(st.integers(-3, 0)),
       batch=number_text(st.integers(-3, 2**31)), device=st.sampled_from(["cpu", "tpu", ""]),
       seeds=st.one_of(st.none(), st.sampled_from(["0,1", "1,1", "a", "", "-1,2", "0,,1"])))
def test_train_refuses_bad_values_before_training(scratch, lr, seed, epochs, batch, device,
                                                  seeds):
    # --epochs is never positive here, so no draw trains: each must be refused in one line
    argv = ["train", "--lr", lr, "--seed", seed, "--epochs", epochs, "--batch-size", batch,
            "--device", device, "--out", str(scratch / "report")]
    if seeds is not None:
        argv += ["--seeds", seeds]
    assert clean_answer(argv) == 2
    assert not (scratch / "report").exists()


@pytest.fixture(scope="module")
def small_project(scratch):
    from codegen.render import render_project
    from fpga_model import ArrayConfig

    return render_project(ArrayConfig(bits=(4, 8), tiles=(1, 1)), scratch / "proj").root


@settings(SETTINGS, max_examples=20)
@given(timeout=st.one_of(st.none(), mostly(st.integers(10**5, 10**9).map(str),
                                           number_text(st.integers(-5, 10**4)))),
       jobs=st.lists(st.sampled_from(["edges", "refused", "all-pairs", "nope", ""]),
                     max_size=2),
       sim=st.one_of(st.none(), st.sampled_from(["icarus", "verilator", "xsim", ""])),
       backend=mostly(st.sampled_from(["emulator", "EMULATOR"]),
                      st.sampled_from(["pynq", "fpga", ""])))
def test_deploy_answers_cleanly(small_project, timeout, jobs, sim, backend):
    # rtl and auto are left out: they would start a simulator build (minutes)
    argv = ["deploy", str(small_project), "--backend", backend]
    if timeout is not None:
        argv += ["--timeout-cycles", timeout]
    for j in jobs:
        argv += ["--job", j]
    if sim is not None:
        argv += ["--sim", sim]
    clean_answer(argv)
