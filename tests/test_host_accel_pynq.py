"""The pynq backend without pynq: a fake ``pynq`` module records the exact register traffic.

``tests/fake_pynq/pynq`` stands in for pynq (injected through ``sys.path``/``sys.modules``): a
board whose kernel is the emulator, or a scripted device that answers reads from a list. The
overlay files (.bit header, .hwh) are written by ``tests/fake_pynq/board_files.py``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from codegen.render import render_project
from codegen.vectors import standard_jobs
from fpga_model import ArrayConfig
from fpga_model.kernel import KernelStatus
from fpga_model.regmap import VLNV, register
from host.accel import (
    Accelerator,
    AcceleratorUnavailable,
    BitstreamMismatch,
    KernelTimeout,
    OverlayNotFound,
    UnsupportedConfiguration,
    probe_board,
)
from host.accel.overlay import check_overlay, file_sha256, part_key, read_bit_header, read_hwh

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fake_pynq.board_files import bit_bytes, write_overlay

FAKE = HERE / "fake_pynq"
OFF = {r: register(r).offset for r in ("CTRL", "MEM_LO", "MEM_HI", "DESC_ADDR", "DESC_COUNT",
                                        "STATUS", "ERROR", "CYCLES_LO", "CYCLES_HI",
                                        "DIGIT_PRODUCTS_LO", "DIGIT_PRODUCTS_HI")}


@pytest.fixture(scope="module")
def cfg() -> ArrayConfig:
    return ArrayConfig(bits=(3, 4, 8), tiles=(2, 2), max_k=64)


@pytest.fixture
def project(cfg, tmp_path):
    proj = render_project(cfg, tmp_path / "proj")
    write_overlay(proj.root, part_key(proj.manifest["board"]["part"]),
                  parameters={"TM": cfg.tm, "C_TN": cfg.tn})
    return proj


@pytest.fixture
def fake(monkeypatch):
    """The fake pynq, imported fresh as ``pynq``."""
    monkeypatch.syspath_prepend(str(FAKE))
    monkeypatch.delitem(sys.modules, "pynq", raising=False)
    mod = importlib.import_module("pynq")
    assert mod.__file__.startswith(str(FAKE))
    yield mod
    sys.modules.pop("pynq", None)


def test_probe_without_pynq_says_why(monkeypatch, project):
    monkeypatch.setitem(sys.modules, "pynq", None)  # import pynq raises ImportError
    avail = probe_board()
    assert not avail.ok and avail.reason == "pynq is not installed"
    with pytest.raises(AcceleratorUnavailable, match=r"^backend 'pynq' is not available: pynq "
                                                     r"is not installed$"):
        Accelerator.open(project, "pynq")


def test_probe_without_a_device(monkeypatch, fake):
    monkeypatch.setenv("FAKE_PYNQ_DEVICES", "0")
    avail = probe_board()
    assert (avail.ok, avail.reason) == (False, "pynq found no device (this is not a PYNQ board)")

    class Broken:
        @property
        def devices(self):
            raise RuntimeError("No Devices Found")

    monkeypatch.setattr(fake, "Device", Broken())
    assert probe_board().reason == "pynq found no device (No Devices Found)"


def test_exact_register_transactions(fake, project):
    busy, done = 0x1, 0x2 | 0x4 | 0x8
    fake.DEVICE = fake.ScriptedDevice([
        (OFF["CTRL"], 0x4), (OFF["CTRL"], busy), (OFF["CTRL"], done), (OFF["STATUS"], 0),
        (OFF["ERROR"], 0), (OFF["CYCLES_LO"], 0x1234), (OFF["CYCLES_HI"], 1),
        (OFF["DIGIT_PRODUCTS_LO"], 5), (OFF["DIGIT_PRODUCTS_HI"], 0)])
    job = standard_jobs(project.cfg)[0]
    with Accelerator.open(project, "auto") as acc:
        assert acc.backend == "pynq" and acc.reason == "chose pynq: PYNQ device fake-zynq"
        acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
        status = acc.run()
        base = acc.last.program.base
    assert status == KernelStatus(0, 0, (1 << 32) | 0x1234, 5)
    assert fake.DEVICE.script == []  # every scripted read happened
    assert fake.DEVICE.log == [
        ("download", "frac_array.bit"),
        ("read", OFF["CTRL"], 0x4),
        ("write", OFF["MEM_LO"], base & 0xFFFFFFFF), ("write", OFF["MEM_HI"], base >> 32),
        ("write", OFF["DESC_ADDR"], job.desc_addr), ("write", OFF["DESC_COUNT"], 9),
        ("write", OFF["CTRL"], 1),
        ("read", OFF["CTRL"], busy), ("read", OFF["CTRL"], done),
        ("read", OFF["STATUS"], 0), ("read", OFF["ERROR"], 0), ("read", OFF["CYCLES_LO"], 0x1234),
        ("read", OFF["CYCLES_HI"], 1), ("read", OFF["DIGIT_PRODUCTS_LO"], 5),
        ("read", OFF["DIGIT_PRODUCTS_HI"], 0)]


def test_board_runs_equal_the_model_and_survive_a_hang(fake, project):
    with Accelerator.open(project, "pynq") as acc:
        for job in standard_jobs(project.cfg):
            acc.write(job.memory, job.descriptors, desc_addr=job.desc_addr)
            assert acc.run() == job.status and acc.memory() == job.expected, job.name
        fake.DEVICE.kernel.inject_hang()
        with pytest.raises(KernelTimeout, match=r"^the kernel on pynq did not raise ap_done "
                                                r"within 20000 cycles"):
            acc.run(timeout_cycles=20_000)
        assert fake.DEVICE.downloads == 2  # recover() loads the bitstream again
        assert acc.run() == job.status and acc.memory() == job.expected


def test_fracarray_binds_by_vlnv_and_refuses_another_config(fake, project, cfg):
    import host.accel.pynq as hp

    driver = hp.FracArray
    assert driver.bindto == [VLNV] and issubclass(driver, fake.DefaultIP)
    assert fake._drivers[VLNV] is driver and hp.register_driver(fake) is driver
    driver.manifest = project.manifest
    desc = {"fullpath": "frac", "type": VLNV, "parameters": {"TM": str(cfg.tm + 1)},
            "registers": {}}
    with pytest.raises(fake.UnsupportedConfiguration) as err:
        driver(desc)
    assert isinstance(err.value, UnsupportedConfiguration)
    assert str(err.value) == (f"IP 'frac' was built with TM={cfg.tm + 1}, the manifest says "
                              f"TM={cfg.tm}; rebuild the overlay for this manifest")
    ok = driver({**desc, "parameters": {"TM": str(cfg.tm)}})
    assert "CTRL = Register(" in repr(ok)


def test_pynq_fallback_to_default_ip_is_an_error(fake, project, monkeypatch, cfg):
    import host.accel.pynq as hp

    # the files pass the offline check, but PYNQ's ip_dict disagrees (e.g. another .hwh copy)
    monkeypatch.setattr(hp, "check_overlay", lambda root, manifest: type(
        "F", (), {"bit": root / "overlay" / "frac_array.bit",
                  "hwh": root / "overlay" / "frac_array.hwh"})())
    real = fake._ip_dict

    def tampered(hwh):
        d = real(hwh)
        d["frac"]["registers"]["DESC_COUNT"] = {"address_offset": 0x30}
        return d

    monkeypatch.setattr(fake, "_ip_dict", tampered)
    with pytest.warns(UserWarning, match="using DefaultIP"), \
            pytest.raises(UnsupportedConfiguration, match=r"frac_array.hwh: IP 'frac' has "
                                                          r"DESC_COUNT at 0x30, the manifest "
                                                          r"says 0x24; rebuild the overlay"):
        Accelerator.open(project, "pynq")


def test_overlay_checks(project, cfg):
    files = check_overlay(project.root, project.manifest)
    assert read_bit_header(files.bit).part == "7z045ffg900"
    ip = read_hwh(files.hwh)
    assert (ip.name, ip.vlnv, ip.registers["MEM_2"]) == ("frac", VLNV, 0x14)
    root = project.root
    # a bitstream for another part
    files.bit.write_bytes(bit_bytes("7z020clg400"))
    with pytest.raises(BitstreamMismatch, match=r"frac_array.bit was built for part 7z020clg400, "
                                                r"the manifest's board needs xc7z045ffg900-2; "):
        check_overlay(root, project.manifest)
    files.bit.write_bytes(b"\x00\x01junk")
    with pytest.raises(BitstreamMismatch, match=r"frac_array.bit is not a Xilinx .bit file"):
        check_overlay(root, project.manifest)
    # hashes recorded by the package no longer match
    files.bit.write_bytes(bit_bytes("7z045ffg900"))
    recorded = {**project.manifest, "overlay": {"bit_sha256": "0" * 64,
                                                "hwh_sha256": file_sha256(files.hwh)}}
    with pytest.raises(BitstreamMismatch, match=r"frac_array.bit does not match the manifest "
                                                r"\(its SHA-256 differs from the packaged one\)"):
        check_overlay(root, recorded)
    recorded["overlay"]["bit_sha256"] = file_sha256(files.bit)
    assert check_overlay(root, recorded).bit == files.bit
    # an IP of another type, another parameter, another register offset
    write_overlay(root, "7z045ffg900", vlnv="xilinx.com:hls:other:1.0")
    with pytest.raises(BitstreamMismatch, match=r"frac_array.hwh holds no " + VLNV):
        check_overlay(root, project.manifest)
    write_overlay(root, "7z045ffg900", parameters={"C_BITS_MASK": 0x10})
    with pytest.raises(UnsupportedConfiguration, match=r"IP 'frac' was built with BITS_MASK=16, "
                                                       r"the manifest says BITS_MASK=\d+"):
        check_overlay(root, project.manifest)
    write_overlay(root, "7z045ffg900", vlnv=VLNV[:-3] + "2.0")
    with pytest.raises(UnsupportedConfiguration, match=r"IP 'frac' is "
                                                       r"fracfpga.org:hls:frac_array_top:2.0, "
                                                       r"not " + VLNV):
        check_overlay(root, project.manifest)
    # missing files
    files.hwh.unlink()
    with pytest.raises(OverlayNotFound, match=r"frac_array.hwh is missing; build the bitstream "
                                              r"with 'vivado -mode batch -source "
                                              r"bd/build_bd.tcl' in "):
        check_overlay(root, project.manifest)


def test_missing_overlay_on_a_board(fake, project):
    (project.root / "overlay" / "frac_array.bit").unlink()
    with pytest.raises(OverlayNotFound, match=r"^\S+/overlay/frac_array.bit is missing; "):
        Accelerator.open(project, "pynq")
    with pytest.raises(OverlayNotFound, match=r"needs a project folder with a manifest"):
        Accelerator.open(project.cfg, "pynq")
