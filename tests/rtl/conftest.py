"""The cocotb unit tests of single RTL modules: build one on Icarus and run its test module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codegen import rtlsim

RTL = Path(__file__).resolve().parents[2] / "hls_templates" / "rtl"


@pytest.fixture
def cocotb_unit(monkeypatch):
    """``run(here, sources, toplevel, parameters)``: build ``sources`` (file names in
    hls_templates/rtl) on Icarus under ``here/sim_build`` and run the cocotb tests of the module
    in ``here`` named after its folder; returns (tests run, tests failed, the test log).
    Skips where Icarus or cocotb is missing."""

    def run(here: Path, sources, toplevel: str, parameters: dict) -> tuple[int, int, Path]:
        reason = rtlsim.simulator_available("icarus")
        if reason:
            pytest.skip(reason)
        from cocotb_tools.check_results import get_results
        from cocotb_tools.runner import get_runner

        build = here / "sim_build"
        runner = get_runner("icarus")
        runner.build(sources=[RTL / s for s in sources], hdl_toplevel=toplevel,
                     build_dir=build, parameters=parameters, timescale=("1ns", "1ps"),
                     log_file=build / "build.log")
        results = build / "results.xml"
        for folder in (str(here), str(RTL.parents[1])):  # the simulator imports the module
            if folder not in sys.path:
                monkeypatch.syspath_prepend(folder)
        try:
            runner.test(test_module=f"test_{here.name}", hdl_toplevel=toplevel,
                        hdl_toplevel_lang="verilog", build_dir=build, test_dir=build,
                        timescale=("1ns", "1ps"), results_xml=str(results),
                        log_file=build / "test.log")
        except SystemExit:  # a failing cocotb test; its results say which
            pass
        total, failed = get_results(results)
        return total, failed, build / "test.log"

    return run
