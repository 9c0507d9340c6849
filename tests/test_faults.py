"""Faults and bad input, by category: every one answered in one line with exit status 2.

Categories: a tampered, truncated or incomplete project (every command that reads one); bad
option values (seeds, sizes, rates, clocks, widths, choices, --out); nothing a user made is
lost (regenerate keeps build outputs, interrupted writes leave the earlier state); a
reproducible package; the Python API's wrong types, mixed operands and devices; the CLI's
conventions (--version, examples, flags, choices). Commands run in-process through
``host.cli.main``, the console-script entry point.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from codegen.project import staged_folder
from codegen.render import load_project, render_project
from fpga_model import ArrayConfig, ConfigError, gemm
from host.cli import COMMANDS, EXAMPLES, main


def run(*args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``fracfpga ARGS`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
            rc = 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return rc, out.getvalue(), err.getvalue()


def refused(rc: int, out: str, err: str, pattern: str) -> None:
    """One line on stderr starting with ``error: `` and matching ``pattern``, exit 2."""
    assert rc == 2, (rc, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert re.match(r"^error: " + pattern, lines[0]), lines[0]


CFG = ArrayConfig(bits=(4, 8), tiles=(2, 2))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return render_project(CFG, tmp_path_factory.mktemp("faults") / "proj").root


@pytest.fixture
def project(pristine, tmp_path) -> Path:
    dst = tmp_path / "proj"
    shutil.copytree(pristine, dst)
    return dst


# ------------------------------------------------------------------ tampered projects
def _edit_manifest(root: Path, fn) -> None:
    mf = root / "manifest.json"
    doc = json.loads(mf.read_text())
    fn(doc)
    mf.write_text(json.dumps(doc))


def _first_vector(root: Path) -> Path:
    return sorted((root / "vectors").glob("*.mem.bin"))[0]


CORRUPTIONS = {
    "invalid-json": (lambda r: (r / "manifest.json").write_text("{oops"), "is not valid JSON"),
    "empty-manifest": (lambda r: (r / "manifest.json").write_text(""), "is not valid JSON"),
    "manifest-is-a-list": (lambda r: (r / "manifest.json").write_text("[1, 2]"),
                           "does not hold a manifest object"),
    "binary-manifest": (lambda r: (r / "manifest.json").write_bytes(b"\xff\xfe\x00"),
                        "is not valid JSON"),
    "no-config": (lambda r: _edit_manifest(r, lambda d: d.pop("config")), "has no config"),
    "config-not-a-dict": (lambda r: _edit_manifest(r, lambda d: d.update(config=[4, 8])),
                          "holds no valid config"),
    "bad-config": (lambda r: _edit_manifest(r, lambda d: d["config"].update(bits=[99])),
                   "holds no valid config"),
    "edited-config": (lambda r: _edit_manifest(r, lambda d: d["config"].update(acc_width=40)),
                      "the config in .* does not match its config_hash"),
    "edited-hash": (lambda r: _edit_manifest(r, lambda d: d.update(config_hash="0" * 12)),
                    "the config in .* does not match its config_hash"),
    "no-file-table": (lambda r: _edit_manifest(r, lambda d: d.pop("files")),
                      "records no file hashes"),
    "truncated-vector": (lambda r: _first_vector(r).write_bytes(_first_vector(r).read_bytes()[:9]),
                         ".*differs from the SHA-256 recorded"),
    "edited-header": (lambda r: next((r / "hls").rglob("*.h")).write_text("// edited\n"),
                      ".*differs from the SHA-256 recorded"),
    "deleted-rtl": (lambda r: next((r / "rtl").rglob("*.v")).unlink(),
                    ".*is missing: the project is incomplete"),
    "manifest-deleted": (lambda r: (r / "manifest.json").unlink(),
                         ".* is not a generated project \\(no manifest.json\\)"),
    "manifest-is-a-folder": (lambda r: ((r / "manifest.json").unlink(),
                                        (r / "manifest.json").mkdir()),
                             ".* is not a generated project \\(no manifest.json\\)"),
}
READERS = {
    "csim": [],
    "verify": ["--no-rtl"],
    "estimate": [],
    "deploy": ["--backend", "emulator"],
    "package": [],
    "backends": [],
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
@pytest.mark.parametrize("command", sorted(READERS))
def test_every_reader_refuses_a_broken_project(project, command, corruption, tmp_path):
    damage, message = CORRUPTIONS[corruption]
    damage(project)
    extra = READERS[command] + (["--out", tmp_path / "dist"] if command == "package" else [])
    refused(*run(command, project, *extra), ".*" + message)
    assert not (tmp_path / "dist").exists()  # nothing was packaged


def test_the_fix_names_the_regenerate_command(project):
    _edit_manifest(project, lambda d: d["config"].update(acc_width=40))
    rc, out, err = run("csim", project)
    assert f"regenerate it with 'fracfpga generate --bits 4,8 --board zc706 --tiles 2x2 --out " \
           f"{project}'" in err


def test_a_verified_project_loads(project):
    assert load_project(project).cfg == CFG


def test_a_file_is_not_a_project(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    refused(*run("csim", f), ".* is a file, not a generated project")


# ------------------------------------------------------------------ bad option values
def _file(tmp: Path) -> Path:
    f = tmp / "afile"
    f.write_text("mine")
    return f


def _foreign(tmp: Path) -> Path:
    d = tmp / "foreign"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    return d


BAD_OPTIONS = [
    # seeds
    (["generate", "--seed", "-1"], r"--seed -1 is outside 0\.\.4294967295"),
    (["generate", "--seed", str(2**32)], r"--seed 4294967296 is outside"),
    (["emulate", "--seed", "-5"], r"--seed -5 is outside"),
    (["train", "--seed", "-1"], r"--seed -1 is outside"),
    (["train", "--seeds", "0,-1"], r"--seeds -1 is outside"),
    (["train", "--seeds", "a,b"], r"--seeds 'a,b' is not a comma-separated list"),
    (["train", "--seeds", "1,1"], r"--seeds '1,1' must list distinct integers"),
    # rates and counts
    (["train", "--lr=-1"], r"--lr -1\.0 must be a finite number above 0"),
    (["train", "--lr", "nan"], r"--lr nan must be a finite number above 0"),
    (["train", "--lr", "inf"], r"--lr inf must be a finite number above 0"),
    (["train", "--lr", "0"], r"--lr 0\.0 must be a finite number above 0"),
    (["train", "--lr", "1e6"], r"--lr 1000000\.0 is above 10"),
    (["train", "--epochs", "0"], r"--epochs 0 must be at least 1"),
    (["train", "--batch-size", "-3"], r"--batch-size -3 must be at least 1"),
    (["train", "--width", "0"], r"--width 0 must be at least 1"),
    (["train", "--threads", "0"], r"--threads 0 must be at least 1"),
    (["train", "--device", "tpu"], r"unknown device 'tpu'; use cpu or cuda"),
    (["train", "--data", "imagenet"], r"unknown data set 'imagenet'"),
    (["train", "--static-bits", "8"], r"--static-bits '8' is not FW,BW"),
    (["deploy", "{project}", "--timeout-cycles=-1"], r"--timeout-cycles -1 must be at least 1"),
    (["deploy", "{project}", "--timeout-cycles", "0"], r"--timeout-cycles 0 must be at least 1"),
    (["deploy", "{project}", "--sim", "xsim"], r"unknown simulator 'xsim'; pass --sim icarus or verilator"),
    (["deploy", "{project}", "--sim", "icarus", "--backend", "emulator"],
     r"--sim icarus picks the RTL simulator; it applies to --backend rtl"),
    # sizes: refused before anything is allocated
    (["emulate", "--k", "100000000"], r"A \(--m x --k\) would hold 6,400,000,000 elements"),
    (["emulate", "--m", "1", "--n", "1", "--k", "200000"], r"--k 200000 exceeds the array's max K"),
    (["emulate", "--m", "0"], r"--m 0 must be at least 1"),
    (["emulate", "--n", "-2"], r"--n -2 must be at least 1"),
    (["emulate", "--repeat", "0"], r"--repeat 0 must be at least 1"),
    (["emulate", "--stop-ring", "0"], r"early termination needs --tau with --stop-ring or --prefix"),
    (["emulate", "--stop-ring", "9", "--tau", "0"], r"stop ring 9 is outside 0\.\.3"),
    (["emulate", "--stop-ring", "0", "--tau", "-1"], r"tau -1 must be a non-negative integer"),
    (["emulate", "--pair", "4"], r"--pair '4' is not A_BITS,B_BITS"),
    (["emulate", "--pair", "4,10"], r"bit-width 10 is not in the supported set"),
    # widths, tiles, clocks, boards
    (["generate", "--bits", "1,4"], r"bit-width 1 is outside the supported range 2\.\.16"),
    (["generate", "--bits", "4,4"], r"bit-width 4 appears more than once"),
    (["generate", "--bits", "four"], r"bit-width 'four' is not an integer"),
    (["generate", "--bits", ","], r"the bit-width set is empty"),
    (["generate", "--tiles", "2by2"], r"tile grid '2by2' is not ROWSxCOLS"),
    (["generate", "--tiles", "0x2"], r"tile grid \(0, 2\) must be two positive integers"),
    (["generate", "--tiles", "64x64"], r"a 64x64 tile grid does not fit zc706"),
    (["generate", "--clock-mhz", "1e6"], r"clock 1000000\.0 MHz is outside 1\.\.1000 MHz"),
    (["generate", "--clock-mhz", "nan"], r"clock nan MHz is outside"),
    (["generate", "--clock-mhz", "0"], r"clock 0\.0 MHz is outside"),
    (["generate", "--acc-width", "8"], r"accumulator width 8 is outside 16\.\.60"),
    (["generate", "--max-k", "0"], r"max K 0 must be a positive integer"),
    (["generate", "--board", "zc707"], r"unknown board 'zc707'"),
    # --out checked before any work
    (["generate", "--out", "{file}"], r"--out .*afile is an existing file, not a folder"),
    (["generate", "--out", "{file}/sub"], r"--out .*afile/sub: .*afile is a file, not a folder"),
    (["generate", "--out", "{foreign}"], r"--out .*foreign holds files that are not a fracfpga "
                                         r"project"),
    (["package", "{project}", "--out", "{file}"], r"--out .*afile is an existing file"),
    (["train", "--out", "{file}"], r"--out .*afile is an existing file"),
    (["train", "--out", "{foreign}"], r"--out .*foreign holds files that are not a training "
                                      r"report"),
    # usage errors are one line too
    (["emulate", "--m", "x"], r"Invalid value for '--m'.*; see 'fracfpga emulate --help'"),
    (["emulate", "--bogus"], r"No such option: --bogus.*; see 'fracfpga emulate --help'"),
    (["nocommand"], r"No such command 'nocommand'; see 'fracfpga --help'"),
    (["csim"], r"Missing argument 'project'.*; see 'fracfpga csim --help'"),
    (["verify", "{project}", "--sim", "xsim"], r"unknown simulator 'xsim'; pass --sim icarus"),
    # --sim names one simulator in every command, with one message for a wrong name
    (["verify", "{project}", "--sim", "icarus", "--sim", "xsim"],
     r"unknown simulator 'xsim'; pass --sim icarus or verilator"),
    (["perf", "{project}", "--shape", "4,16,4", "--pair", "4,4", "--sim", "xsim"],
     r"unknown simulator 'xsim'; pass --sim icarus or verilator"),
    (["verify", "{project}", "--sim", "icarus", "--no-rtl"],
     r"--sim names a simulator for the RTL run, and --no-rtl skips it; drop one of them"),
    (["verify", "{project}", "--no-rtl", "--no-csim"], r".*nothing to run: drop --no-csim or "
     r"--no-rtl"),
]


@pytest.mark.parametrize("args, pattern", BAD_OPTIONS,
                         ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_option_values_are_one_line(args, pattern, pristine, tmp_path):
    subs = {"{project}": str(pristine), "{file}": str(_file(tmp_path)),
            "{foreign}": str(_foreign(tmp_path))}
    argv = []
    for a in args:
        for key, value in subs.items():
            a = a.replace(key, value)
        argv.append(a)
    before = sorted(p.name for p in tmp_path.iterdir())
    refused(*run(*argv), pattern)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing was written
    assert (tmp_path / "afile").read_text() == "mine"


def test_every_width_2_to_16_generates(tmp_path):
    rc, out, err = run("generate", "--bits", ",".join(map(str, range(2, 17))), "--tiles", "1x1",
                       "--out", tmp_path / "all")
    assert rc == 0, err
    refused_job = json.loads((tmp_path / "all" / "vectors" / "refused.json").read_text())
    assert refused_job["error"] != 0  # width 1 is outside every set: the kernel refuses it


# ------------------------------------------------------------------ nothing lost
BUILD_OUTPUTS = ("overlay/frac_array.bit", "logs/csim.log", "dist/x-pynq.tar.gz",
                 "csim/a.out", "sim/icarus/sim.vvp", "notes.md")


def _add_outputs(root: Path) -> None:
    for rel in BUILD_OUTPUTS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"user data {rel}")


def test_regenerate_keeps_build_outputs(project):
    _add_outputs(project)
    hls_file = next((project / "hls").rglob("*.h"))
    hls_file.write_text("edited")  # a generated file is replaced
    rc, out, err = run("generate", "--bits", "4,8", "--tiles", "2x2", "--out", project)
    assert rc == 0, err
    for rel in BUILD_OUTPUTS:
        assert (project / rel).read_text() == f"user data {rel}"
    assert load_project(project).cfg == CFG
    assert not [p for p in project.parent.iterdir() if p.name.startswith(".")]


def test_regenerate_with_clean_removes_them(project):
    _add_outputs(project)
    rc, out, err = run("generate", "--bits", "4,8", "--tiles", "2x2", "--out", project, "--clean")
    assert rc == 0, err
    assert not any((project / rel).exists() for rel in BUILD_OUTPUTS)
    assert load_project(project).cfg == CFG


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("fault", [KeyboardInterrupt, OSError, RuntimeError])
def test_an_interrupted_generate_leaves_the_project_as_it_was(project, monkeypatch, fault):
    _add_outputs(project)
    before = _snapshot(project)
    import codegen.render as render

    def boom(*a, **k):
        raise fault("interrupted")
    monkeypatch.setattr(render, "write_jobs", boom)
    with pytest.raises(fault):
        render_project(ArrayConfig(bits=(3, 8), tiles=(2, 2)), project)
    assert _snapshot(project) == before
    assert not [p for p in project.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("fail_at", ["fill", "swap"])
def test_staged_folder_is_all_or_nothing(tmp_path, monkeypatch, fail_at):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    (out / "keep").mkdir()
    (out / "keep" / "k.txt").write_text("kept")
    import codegen.project as proj

    if fail_at == "swap":
        real = Path.rename

        def rename(self, target):
            if Path(target) == out and self.name.startswith(".out.") and ".old." not in self.name:
                raise OSError("disk full")
            return real(self, target)
        monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises((OSError, KeyboardInterrupt)):
        with proj.staged_folder(out, keep=["keep"]) as tmp:
            (tmp / "new.txt").write_text("new")
            if fail_at == "fill":
                raise KeyboardInterrupt
    monkeypatch.undo()
    assert (out / "old.txt").read_text() == "old" and (out / "keep" / "k.txt").read_text() == "kept"
    assert not (out / "new.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_staged_folder_replaces_and_keeps(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.png").write_text("old plot")
    (out / "overlay").mkdir()
    with staged_folder(out, keep=["overlay"]) as tmp:
        (tmp / "report.json").write_text("{}")
    assert sorted(p.name for p in out.iterdir()) == ["overlay", "report.json"]


def test_write_report_refuses_a_foreign_folder(tmp_path):
    from host.report import ReportError, write_report

    d = _foreign(tmp_path)
    with pytest.raises(ReportError, match="is not a training report"):
        write_report([object()], d)  # refused before the results are read
    assert (d / "notes.txt").read_text() == "mine"


def test_interrupt_says_what_was_kept(monkeypatch):
    import host.commands.emulate as emulate

    def boom(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(emulate.checks, "seed", boom)
    rc, out, err = run("emulate")
    assert rc == 130 and "Traceback" not in err
    assert err.strip() == ("interrupted: nothing half-written was left; earlier reports, "
                           "projects and packages are as they were")


# ------------------------------------------------------------------ reproducible package
def test_package_twice_is_byte_identical(pristine, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    outs = []
    for i in range(2):
        rc, out, err = run("package", pristine, "--out", tmp_path / f"d{i}")
        assert rc == 0, err
        outs.append(tmp_path / f"d{i}")
    name = f"{CFG.name}-pynq"
    a, b = (o / f"{name}.tar.gz" for o in outs)
    assert a.read_bytes() == b.read_bytes()
    wa, wb = (sorted((o / name / "wheels").glob("*.whl"))[0] for o in outs)
    assert wa.read_bytes() == wb.read_bytes()
    with tarfile.open(a) as tar:
        names = tar.getnames()
        assert names == sorted(names) and names[0] == name
        assert {m.mtime for m in tar.getmembers()} == {315532800}
    assert a.read_bytes()[4:8] == (315532800).to_bytes(4, "little")  # gzip header time
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rc, out, err = run("package", pristine, "--out", tmp_path / "d2")
    assert rc == 0, err
    with tarfile.open(tmp_path / "d2" / f"{name}.tar.gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1700000000}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    refused(*run("package", pristine, "--out", tmp_path / "d3"),
            r"SOURCE_DATE_EPOCH='yesterday' is not an integer")


# ------------------------------------------------------------------ Python API
A = np.array([[1, -2, 3], [0, 7, -8]], dtype=np.int8)
B = np.array([[1, 2], [-3, 4], [5, -6]], dtype=np.int8)


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda: gemm(None, A, B, 4, 8), TypeError,
     r"^gemm needs an ArrayConfig as its first argument, not NoneType; pass e\.g\. "),
    (lambda: gemm("4,8", A, B, 4, 8), TypeError, r"^gemm needs an ArrayConfig.*not str"),
    (lambda: gemm(CFG, A, B, "4", 8), TypeError, r"^a_bits '4' is not an int; pass the width"),
    (lambda: gemm(CFG, A, B, 4, 8.0), TypeError, r"^b_bits 8\.0 is not an int"),
    (lambda: gemm(CFG, A, B, True, 8), TypeError, r"^a_bits True is not an int"),
    (lambda: gemm(CFG, A, B, 4, 8, device="tpu"), ConfigError, r"^device 'tpu' is not 'cpu'"),
    (lambda: gemm(CFG, A, B, 4, 8, device=0), ConfigError, r"^device 0 is not 'cpu'"),
    (lambda: gemm(CFG, A.astype(float), B, 4, 8), ConfigError, r"^A holds float64 values"),
    (lambda: gemm(CFG, A, B.T, 4, 8), ConfigError, r"^inner dimensions differ"),
    (lambda: gemm(CFG, A, B, 4, 6), ConfigError, r"^bit-width 6 is not in the supported set"),
    (lambda: ArrayConfig(acc_width="48"), ConfigError, r"^acc_width '48' is not an integer"),
    (lambda: ArrayConfig(bricks=16.0), ConfigError, r"^bricks 16\.0 is not an integer"),
    (lambda: ArrayConfig(board=None), ConfigError, r"^board None is not a board name"),
    (lambda: ArrayConfig(tiles="2by2"), ConfigError, r"^tile grid '2by2' is not ROWSxCOLS"),
    (lambda: ArrayConfig(clock_mhz="fast"), ConfigError, r"^clock 'fast' is not a number"),
    (lambda: ArrayConfig(clock_mhz=float("inf")), ConfigError, r"^clock inf MHz is outside"),
    (lambda: ArrayConfig(bits=[4.0, 8]), ConfigError, r"^bit-width 4\.0 is not an integer"),
    (lambda: load_project(None), TypeError, r"^load_project needs the project folder as a str "
                                            r"or Path, not NoneType"),
])
def test_python_api_errors_name_the_fix(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_cuda_without_a_device_is_a_config_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the device is available")
    with pytest.raises(ConfigError, match=r"^device 'cuda' is not available: torch sees no "
                                          r"CUDA device; pass device='cpu'"):
        gemm(CFG, A, B, 4, 8, device="cuda")


@pytest.mark.parametrize("mix", ["torch-numpy", "numpy-torch"])
def test_mixed_numpy_and_torch_operands_give_the_numpy_result(mix):
    torch = pytest.importorskip("torch")
    want = gemm(CFG, A, B, 4, 8).values
    a = torch.from_numpy(A) if mix == "torch-numpy" else A
    b = B if mix == "torch-numpy" else torch.from_numpy(B)
    got = gemm(CFG, a, b, 4, 8)
    assert np.array_equal(np.asarray(got.values), want)


def test_tiles_as_text_equal_tiles_as_a_tuple():
    assert ArrayConfig(tiles="2x2", bits="4,8") == CFG


# ------------------------------------------------------------------ CLI conventions
def test_version():
    from importlib import metadata

    rc, out, err = run("--version")
    assert rc == 0 and out.strip() == f"fracfpga {metadata.version('fracfpga')}"


def test_no_arguments_shows_help():
    rc, out, err = run()
    assert rc == 0 and "Usage: fracfpga" in out and "generate" in out


@pytest.mark.parametrize("name", [n for _, n in COMMANDS])
def test_each_help_has_an_example_and_plain_flags(name):
    rc, out, err = run(name, "--help")
    assert rc == 0, err
    flat = " ".join(out.split())
    assert f"Example: {EXAMPLES[name]}" in flat
    assert "<bool>" not in out


@pytest.mark.parametrize("args, choices", [
    (["train"], "accelerator backend: emulator, rtl, pynq or auto"),
    (["train"], "cpu or cuda"),
    (["deploy"], "emulator, rtl, pynq or auto"),
    (["deploy"], "RTL simulator of the rtl backend: icarus or verilator"),
    (["verify"], "RTL simulator to run: icarus or verilator (repeatable; default: both)"),
    (["perf"], "RTL simulator: icarus or verilator"),
])
def test_choices_are_listed(args, choices):
    rc, out, err = run(*args, "--help")
    assert rc == 0 and choices in " ".join(out.replace("│", " ").split())


# ------------------------------------------------------------------ build outputs recorded
def _built_overlay(root: Path, config_hash: str, *, bit: bytes = b"BIT", extra: int = 0) -> None:
    d = root / "overlay"
    d.mkdir(exist_ok=True)
    (d / "frac_array.bit").write_bytes(bit)
    (d / "frac_array.hwh").write_text("<hwh/>")
    (d / "build.json").write_text(json.dumps({"config_hash": config_hash,
                                              "bit_bytes": len(bit) + extra, "hwh_bytes": 6}))


def test_the_overlay_build_writes_its_record(pristine):
    tcl = (pristine / "bd" / "build_bd.tcl").read_text()
    assert "build.json" in tcl and CFG.config_hash() in tcl


@pytest.mark.parametrize("case, pattern", [
    ("stale", r".*overlay is stale: it was built from config 000000000000, the project is "
              r"config [0-9a-f]{12}; rebuild it with 'vivado -mode batch -source "
              r"bd/build_bd.tcl'"),
    ("replaced", r".*frac_array.bit is not the file the overlay build wrote \(4 bytes "
                 r"recorded\)"),
    ("garbled", r".*build.json is unreadable"),
])
@pytest.mark.parametrize("command", ["package", "deploy"])
def test_a_stale_or_replaced_overlay_is_refused(project, tmp_path, case, pattern, command):
    manifest = json.loads((project / "manifest.json").read_text())
    if case == "stale":
        _built_overlay(project, "0" * 12)
    elif case == "replaced":
        _built_overlay(project, manifest["config_hash"], extra=1)
    else:
        _built_overlay(project, manifest["config_hash"])
        (project / "overlay" / "build.json").write_text("{")
    extra = ["--out", tmp_path / "dist"] if command == "package" else ["--backend", "pynq"]
    refused(*run(command, project, *extra), pattern)


def test_a_matching_overlay_record_passes(project):
    from codegen.project import check_overlay_record

    manifest = json.loads((project / "manifest.json").read_text())
    assert check_overlay_record(project, manifest) == "no overlay"
    _built_overlay(project, manifest["config_hash"])
    assert check_overlay_record(project, manifest) is None
    (project / "overlay" / "build.json").unlink()
    assert "was not built by this project's Tcl" in check_overlay_record(project, manifest)


# ------------------------------------------------------------------ file-system faults
@pytest.mark.parametrize("args", [
    ["generate", "--bits", "4,8", "--tiles", "2x2", "--out", "{tmp}/p"],
    ["package", "{project}", "--out", "{tmp}/dist"],
    ["train", "--epochs", "1", "--out", "{tmp}/report"],
])
def test_a_read_only_location_is_refused_before_work(args, pristine, tmp_path, monkeypatch):
    import host.commands.checks as checks

    import os
    from types import SimpleNamespace

    # root ignores chmod, so the check is shown a location without write permission
    monkeypatch.setattr(checks, "os", SimpleNamespace(access=lambda path, mode: False,
                                                      W_OK=os.W_OK, X_OK=os.X_OK))
    argv = [a.replace("{tmp}", str(tmp_path)).replace("{project}", str(pristine)) for a in args]
    refused(*run(*argv), r"--out .*: .* is not writable; choose a writable location")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [PermissionError(13, "Permission denied", "/x/y"),
                                 OSError(28, "No space left on device", "/x/z"),
                                 IsADirectoryError(21, "Is a directory", "/x/d")])
def test_file_system_faults_are_one_line(exc, tmp_path, monkeypatch):
    import codegen.render as render

    def boom(*a, **k):
        raise exc
    monkeypatch.setattr(render, "render_project", boom)
    refused(*run("generate", "--bits", "4,8", "--tiles", "2x2", "--out", tmp_path / "p"),
            rf"{exc.strerror.lower()}: {exc.filename}; check that the path exists")


# ------------------------------------------------------------------ mismatches stay exit 1
def test_a_mismatch_is_exit_1_and_says_so(project):
    from codegen.project import file_sha256

    path = project / "vectors" / "edges.expected.bin"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # an expectation the kernel cannot meet, recorded as the project's own
    path.write_bytes(bytes(data))
    _edit_manifest(project, lambda d: d["files"].update(
        {"vectors/edges.expected.bin": file_sha256(path)}))
    rc, out, err = run("deploy", project, "--backend", "emulator")
    assert rc == 1 and "Traceback" not in out + err
    assert "mismatch: 1 of 5 jobs differ from the model on the emulator (first: edges:" in out


@pytest.mark.parametrize("stop", [[], ["--stop-ring", "1", "--tau", "50"]])
def test_emulate_reports_a_wrong_result_as_a_mismatch(monkeypatch, stop):
    import fpga_model

    real = fpga_model.gemm

    def off_by_one(*a, **k):
        res = real(*a, **k)
        res.values[0, 0] += 1
        return res
    monkeypatch.setattr(fpga_model, "gemm", off_by_one)
    rc, out, err = run("emulate", "--m", "8", "--k", "40", "--n", "8", "--pair", "8,8",
                       "--repeat", "1", *stop)
    assert rc == 1 and "Traceback" not in out + err
    assert "mismatch: the emulator differs from numpy" in out
    assert re.search(r"equals numpy \(exact.*\)\s*│\s*NO", out)


@pytest.mark.parametrize("what", ["manifest", "generated file"])
def test_an_unreadable_project_file_is_refused(project, monkeypatch, what):
    import codegen.project as proj

    def denied(*a, **k):
        raise PermissionError(13, "Permission denied")
    if what == "manifest":
        real = Path.read_text

        def read_text(self, *a, **k):
            return denied() if self.name == "manifest.json" else real(self, *a, **k)
        monkeypatch.setattr(Path, "read_text", read_text)
        pattern = r".*cannot read .*manifest.json \(Permission denied\); check its permissions"
    else:
        monkeypatch.setattr(proj, "file_sha256", denied)
        pattern = r"cannot read .* \(Permission denied\); check its permissions or regenerate"
    refused(*run("csim", project), pattern)
