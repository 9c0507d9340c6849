"""HLS C-simulation (g++ + ap_types) of generated projects equals the model, byte for byte.

One session fixture generates and compiles a project per bit-width set (two at a time); the
tests then run the testbench on the shared vectors, on extra jobs (every refusal code, unaligned
addresses), and on deliberately broken vectors that must FAIL, so the comparison is proven live.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from codegen.csim import BINARY, BUILD_DIR, ap_types_dir, build_csim, run_csim
from codegen.errors import ProjectError, ToolNotFound
from codegen.render import Project, load_project, render_project
from codegen.vectors import VectorJob, read_jobs, unaligned_job, write_jobs
from fpga_model import ArrayConfig, CycleCosts, Descriptor, needs_c64, pass_counters
from fpga_model.descriptor import DESC_BYTES
from fpga_model.kernel import run_kernel
from fpga_model.memory import (MemoryImage, read_pass,
                               value_bytes)

CONFIGS = {
    "zc706-default": dict(bits=(3, 4, 6, 8, 12), board="zc706", tiles=(8, 8)),
    "b2": dict(bits=(2,), board="pynq-z2", tiles=(2, 3)),
    "b8": dict(bits=(8,), board="kv260", tiles=(4, 4)),
    "b4-8-16": dict(bits=(4, 8, 16), board="zcu104", tiles=(3, 2)),
    "b3-5-7": dict(bits=(3, 5, 7), board="ultra96v2", tiles=(2, 2)),
    "b6-8-12": dict(bits=(6, 8, 12), board="zc706", tiles=(4, 8)),
}


@pytest.fixture(scope="session")
def projects(tmp_path_factory) -> dict[str, Project]:
    """Every config of CONFIGS generated and compiled (two g++ runs at a time)."""
    root = tmp_path_factory.mktemp("csim")

    def make(name: str) -> Project:
        project = render_project(ArrayConfig(**CONFIGS[name]), root / name)
        build_csim(project)
        return project

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CONFIGS, pool.map(make, CONFIGS), strict=True))


def copy_project(project: Project, dest: Path) -> Project:
    """A copy that keeps the compiled program (the build key holds no absolute paths)."""
    shutil.copytree(project.root, dest)
    return load_project(dest)


def model_registers(project: Project, name: str):
    """Run the model on a job's memory image here, independently of the stored expectation."""
    job = next(j for j in read_jobs(project.vectors) if j.name == name)
    mem = bytearray(job.memory)
    status = run_kernel(project.cfg, mem, job.desc_addr, job.desc_count)
    return status, bytes(mem), job


def job_macs(memory: bytes, desc_addr: int, count: int, status: int) -> int:
    done = count if status == 0 else status - 1
    total = 0
    for i in range(done):
        d = Descriptor.unpack(memory[desc_addr + i * DESC_BYTES:desc_addr + (i + 1) * DESC_BYTES])
        total += d.m * d.n * d.k
    return total


@pytest.mark.parametrize("name", list(CONFIGS))
def test_csim_equals_the_model(projects, name):
    project = projects[name]
    outcomes = run_csim(project)
    names = json.loads((project.vectors / "jobs.json").read_text())
    assert [o.job for o in outcomes] == names
    run_log = (project.logs / "csim_run.log").read_text()
    assert "read while empty" not in run_log  # fetch, execute and result agree on every step
    for o in outcomes:
        assert o.passed, f"{name}/{o.job}: {o.detail}"
        assert o.tier == "csim" and o.detail == ""
        status, after, job = model_registers(project, o.job)
        assert after == job.expected  # what the testbench compared against
        assert o.cycles == status.cycles
        assert o.macs == job_macs(job.memory, job.desc_addr, job.desc_count, status.status)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_project_code_compiles_warning_free(projects, name):
    log = (projects[name].logs / "csim_build.log").read_text()
    command = log.splitlines()[0]
    for flag in ("-Wall", "-Wextra", "-std=c++14", "-O2", f"-isystem {ap_types_dir()}"):
        assert flag in command
    assert "warning" not in log.lower(), log


def test_selected_jobs_and_unknown_job(projects):
    project = projects["b8"]
    assert [o.job for o in run_csim(project, ["edges", "refused"])] == ["edges", "refused"]
    with pytest.raises(ProjectError, match=r"^no job 'nope' in .*; jobs: all-pairs, early-stop, "
                                           r"edges, refused, relative-tau$"):
        run_csim(project, ["nope"])


def _first_descriptor(project: Project, job: str) -> Descriptor:
    mem = (project.vectors / f"{job}.mem.bin").read_bytes()
    return Descriptor.unpack(mem[:DESC_BYTES])


def _flip(path: Path, offset: int) -> int:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    return data[offset]


def _rehash(project: Project, rel: str) -> None:
    """Record a deliberately edited file's hash, as if the project had been made that way."""
    from codegen.project import file_sha256

    mf = project.root / "manifest.json"
    doc = json.loads(mf.read_text())
    doc["files"][rel] = file_sha256(project.root / rel)
    mf.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def test_flipped_expected_output_byte_fails(projects, tmp_path):
    project = copy_project(projects["b3-5-7"], tmp_path / "p")
    d = _first_descriptor(project, "all-pairs")
    vb = value_bytes(d)
    at = d.c_addr + vb * (1 * d.n + 0) + 1 if d.m > 1 else d.c_addr + 1
    row = 1 if d.m > 1 else 0
    want = _flip(project.vectors / "all-pairs.expected.bin", at)
    outcomes = {o.job: o for o in run_csim(project)}
    bad = outcomes.pop("all-pairs")
    assert not bad.passed
    assert re.fullmatch(rf"byte {hex(at)} \(descriptor 0 C\[{row}\]\[0\] byte 1\) is 0x[0-9a-f]+, "
                        rf"expected {hex(want)}", bad.detail), bad.detail
    assert all(o.passed for o in outcomes.values())


def test_flipped_stat_and_mask_bytes_fail(projects, tmp_path):
    project = copy_project(projects["b6-8-12"], tmp_path / "p")
    d = _first_descriptor(project, "early-stop")
    _flip(project.vectors / "early-stop.expected.bin", d.stat_addr)
    _flip(project.vectors / "edges.expected.bin", _first_descriptor(project, "edges").mask_addr)
    outcomes = {o.job: o for o in run_csim(project)}
    assert "(descriptor 0 STAT.cycles byte 0)" in outcomes["early-stop"].detail
    assert "(descriptor 0 MASK[0][0])" in outcomes["edges"].detail
    assert not outcomes["early-stop"].passed and not outcomes["edges"].passed
    assert outcomes["all-pairs"].passed and outcomes["refused"].passed


def test_mutated_operand_code_fails(projects, tmp_path):
    project = copy_project(projects["zc706-default"], tmp_path / "p")
    d = _first_descriptor(project, "all-pairs")
    for image in ("mem", "expected"):  # a new input whose expected outputs are stale
        path = project.vectors / f"all-pairs.{image}.bin"
        mem = bytearray(path.read_bytes())
        mem[d.a_addr] ^= 0x02  # the top bit of A[0][0]'s top digit: still a legal code
        path.write_bytes(bytes(mem))
    (bad,) = run_csim(project, ["all-pairs"])
    assert not bad.passed and "(descriptor 0 C[0][" in bad.detail, bad.detail


@pytest.mark.parametrize("field, detail", [
    ("status", "STATUS is 0, expected 7"),
    ("cycles", None),
    ("digit_products", None),
])
def test_register_mismatch_fails(projects, tmp_path, field, detail):
    project = copy_project(projects["b2"], tmp_path / "p")
    path = project.vectors / "all-pairs.json"
    meta = json.loads(path.read_text())
    old = meta[field]
    meta[field] = 7 if field == "status" else old + 1
    path.write_text(json.dumps(meta))
    (bad,) = run_csim(project, ["all-pairs"])
    register = {"status": "STATUS", "cycles": "CYCLES", "digit_products": "DIGIT_PRODUCTS"}[field]
    assert not bad.passed
    assert bad.detail == (detail or f"{register} is {old}, expected {old + 1}")


def _job_from_bytes(cfg: ArrayConfig, name: str, memory: bytes, desc_addr: int,
                    count: int) -> VectorJob:
    after = bytearray(memory)
    status = run_kernel(cfg, after, desc_addr, count)
    return VectorJob(name, bytes(memory), bytes(after), desc_addr, count, status, ())


def _refusal_jobs(cfg: ArrayConfig) -> list[VectorJob]:
    """One job per ERROR code: a good descriptor, then one refused for that reason."""
    rng = np.random.default_rng(5)
    lo_b, hi_b = min(cfg.bits), max(cfg.bits)
    missing = next(b for b in range(2, 17) if b not in cfg.bits)
    bad = {
        2: dict(a_bits=missing), 3: dict(b_bits=17), 4: dict(n=0), 5: dict(k=cfg.max_k + 1),
        6: dict(stop_ring=cfg.digits(hi_b), tau=0),
        7: dict(a_bits=hi_b, b_bits=hi_b, k=cfg.max_k, c64=False),  # int32 cannot hold it
    }
    assert needs_c64(hi_b, hi_b, cfg.max_k)
    # the early-stop refusals of an asymmetric prefix and of a relative tau
    more = [(6, dict(prefix=(cfg.digits(lo_b) + 1, 1), tau=0)),
            (6, dict(prefix=(1, cfg.digits(lo_b)), tau=None, tau_rel=65537))]
    jobs = []
    for i, (code, fields) in enumerate([(c, bad.get(c)) for c in range(1, 8)] + more):
        img = MemoryImage(max_descriptors=2)
        img.add_pass(rng.integers(-2, 2, (3, 5)), rng.integers(-2, 2, (5, 2)), hi_b, hi_b)
        d = img.add_pass(np.ones((2, 3), dtype=int), np.ones((3, 2), dtype=int), lo_b, lo_b)
        if fields:
            img.descriptors[-1] = Descriptor(**{**d.__dict__, **fields})
        memory = bytearray(img.to_bytes())
        if code == 1:  # a pass byte beyond GC cannot be built as a Descriptor: patch the word
            struct.pack_into("<I", memory, DESC_BYTES + 4, 3 | (9 << 8))
        job = _job_from_bytes(cfg, f"refused-{code}" + (f"-{i}" if i >= 7 else ""),
                              bytes(memory), 0, 2)
        assert (job.status.status, job.status.error) == (2, code)
        jobs.append(job)
    return jobs


def test_unaligned_job_completes_and_stops_some_outputs():
    """The shared unaligned job runs both descriptors on the model, and early stop bites."""
    cfg = ArrayConfig(bits=(3, 5, 7), tiles=(2, 3), bricks=4, max_k=64)
    job = unaligned_job(cfg)
    assert job.status.ok and job.desc_addr % 8 == 3 and len(job.descriptors) == 2
    addrs = [a for d in job.descriptors
             for a in (d.a_addr, d.b_addr, d.c_addr, d.mask_addr, d.stat_addr)]
    assert sum(a % 8 != 0 for a in addrs) >= len(addrs) - 1  # all but the first mid-beat
    assert any(read_pass(job.expected, d).stopped.any() for d in job.descriptors)


@pytest.mark.parametrize("name", ["b4-8-16", "b3-5-7"])
def test_refusals_and_unaligned_addresses_equal_the_model(projects, tmp_path, name):
    project = copy_project(projects[name], tmp_path / "p")
    jobs = _refusal_jobs(project.cfg) + [unaligned_job(project.cfg)]
    shutil.rmtree(project.vectors)
    write_jobs(jobs, project.vectors)
    outcomes = run_csim(project)
    assert [o.job for o in outcomes] == [j.name for j in jobs]
    for o, j in zip(outcomes, jobs, strict=True):
        assert o.passed, f"{o.job}: {o.detail}"
        assert o.cycles == j.status.cycles


# Buffer sizes that force every order of the dataflow kernel onto small vectors: several K
# segments (16 codes each), B re-fetched or resident, GC output stationary or K outer, and
# passes wider than the result row buffer (column slices).
BUFFER_VARIANTS = {
    "streamed": dict(SEG_PLANES=1, B_DEPTH=2, ACC_OUTPUTS=16, ACC_BLOCKS=2, OUT_COLS=64),
    "resident": dict(SEG_PLANES=1, B_DEPTH=4096, ACC_OUTPUTS=4096, ACC_BLOCKS=4096,
                     OUT_COLS=64),
    "one-segment": dict(SEG_PLANES=4, B_DEPTH=24, ACC_OUTPUTS=40, ACC_BLOCKS=8, OUT_COLS=72),
}


@pytest.mark.parametrize("variant", list(BUFFER_VARIANTS))
def test_every_dataflow_order_equals_the_model(projects, tmp_path, variant):
    """Retuned buffers in hls/frac_config.h change the kernel's order, never its bytes."""
    project = copy_project(projects["b3-5-7"], tmp_path / "p")
    header = project.hls / "frac_config.h"
    text = header.read_text()
    for key, value in BUFFER_VARIANTS[variant].items():
        text, count = re.subn(rf"(static const unsigned {key} = )\d+;", rf"\g<1>{value};", text)
        assert count == 1
    header.write_text(text)
    cfg = project.cfg
    stored = [j.name for j in read_jobs(project.vectors)]
    jobs = list(read_jobs(project.vectors))
    jobs += [unaligned_job(cfg), unaligned_job(cfg, n=130, name="wide"),
             unaligned_job(cfg, n=67, name="wide-odd")]
    shutil.rmtree(project.vectors)
    write_jobs(jobs, project.vectors)
    outcomes = run_csim(project)
    assert [o.job for o in outcomes] == [*stored, "unaligned", "wide", "wide-odd"]
    assert "read while empty" not in (project.logs / "csim_run.log").read_text()
    for o, j in zip(outcomes, jobs, strict=True):
        assert o.passed, f"{variant}/{o.job}: {o.detail}"
        assert o.cycles == j.status.cycles


def test_cycle_costs_come_from_the_config_header(projects, tmp_path):
    """Retuned CycleCosts in hls/frac_config.h change the counted cycles exactly as the model."""
    project = copy_project(projects["b3-5-7"], tmp_path / "p")
    binary = project.root / BUILD_DIR / BINARY
    before = binary.stat().st_mtime_ns
    assert build_csim(project) == binary.resolve() and binary.stat().st_mtime_ns == before
    costs = CycleCosts(desc=9, block=7, et_check=2)
    header = project.hls / "frac_config.h"
    text = header.read_text()
    for key, value in costs.hdl_parameters().items():
        text, count = re.subn(rf"(static const unsigned {key} = )\d+;", rf"\g<1>{value};", text)
        assert count == 1
    header.write_text(text)
    build_csim(project)
    assert binary.stat().st_mtime_ns != before  # the edited header was rebuilt
    for o in run_csim(project):
        job = next(j for j in read_jobs(project.vectors) if j.name == o.job)
        mem, expected = job.memory, job.expected
        done = job.desc_count if job.status.ok else job.status.status - 1
        want = 0
        for i in range(done):
            d = Descriptor.unpack(mem[i * DESC_BYTES:(i + 1) * DESC_BYTES])
            stopped = read_pass(expected, d).stopped if d.early_stop else None
            want += pass_counters(project.cfg, d.m, d.n, d.k, d.a_bits, d.b_bits, d.stop_ring,
                                  stopped, costs, prefix=d.prefix,
                                  two_sweeps=d.tau_rel is not None)["cycles"]
        assert o.cycles == want
        assert o.passed == (done == 0)  # the stored vectors hold the default costs


def fracfpga(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True,
                          text=True, check=False, env={**os.environ, **(env or {})})


def test_csim_command_passes_and_fails(projects, tmp_path):
    project = copy_project(projects["b8"], tmp_path / "p")
    r = fracfpga("csim", str(project.root))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("PASS") == 5
    assert "the kernel equals the model on 5 of 5 jobs" in " ".join(r.stdout.split())
    _flip(project.vectors / "edges.expected.bin", _first_descriptor(project, "edges").c_addr)
    r = fracfpga("csim", str(project.root), "--job", "edges", "--job", "refused")
    assert r.returncode == 2  # an edited vector file no longer matches the manifest
    assert "edges.expected.bin differs from the SHA-256 recorded" in r.stderr
    _rehash(project, "vectors/edges.expected.bin")  # now the expectation itself differs
    r = fracfpga("csim", str(project.root), "--job", "edges", "--job", "refused")
    assert r.returncode == 1
    assert "FAIL" in r.stdout
    assert "the kernel equals the model on 1 of 2 jobs" in " ".join(r.stdout.split())
    assert "mismatch: 1 of 2 jobs differ from the model (first: edges: byte" in r.stdout


def _one_line_error(r: subprocess.CompletedProcess, pattern: str) -> None:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert re.match(pattern, r.stderr.strip()), r.stderr


def test_csim_command_errors_are_one_line(projects, tmp_path):
    _one_line_error(fracfpga("csim", str(tmp_path / "none")),
                    r"^error: .*none is not a generated project \(no manifest\.json\); run "
                    r"'fracfpga generate --out .*none' first$")
    project = str(projects["b8"].root)
    _one_line_error(fracfpga("csim", project, env={"CXX": str(tmp_path / "no-gxx")}),
                    r"^error: could not find g\+\+ in PATH; install it with 'apt-get install -y "
                    r"g\+\+' or set CXX to its path$")
    fake = tmp_path / "site" / "hls4ml"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    _one_line_error(fracfpga("csim", project, env={"PYTHONPATH": str(fake.parent)}),
                    r"^error: hls4ml at .* ships no ap_types/ap_int\.h; install it with "
                    r"'pip install hls4ml==1\.3\.0'$")
    _one_line_error(fracfpga("csim", project, "--job", "nope"), r"^error: no job 'nope' in ")


def test_missing_hls4ml_is_named(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolNotFound, match=r"^could not find the Xilinx ap_types headers: hls4ml "
                                           r"is not installed; install it with 'pip install "
                                           r"hls4ml==1\.3\.0'$"):
        ap_types_dir()
