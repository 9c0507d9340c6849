"""A project folder on disk: read and verify its manifest, and replace folders atomically.

``manifest.json`` records the ArrayConfig, its hash and the SHA-256 of every generated file.
``verify_manifest`` checks all three before a command uses a project, so an edited config, a
truncated vector file or a missing header is refused with the fix (regenerate) instead of
giving a PASS on the wrong hardware. ``staged_folder`` writes a folder under a temporary name
beside its target and renames it into place, carrying over the entries it is told to keep
(build outputs such as ``overlay/`` and ``logs/``), so an interrupted write leaves the earlier
folder as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fpga_model import ArrayConfig, ConfigError

from .errors import ProjectError

__all__ = ["MANIFEST", "OVERLAY_RECORD", "read_manifest", "verify_manifest", "generated_entries",
           "file_sha256", "staged_folder", "write_text_atomic", "regenerate_hint",
           "check_overlay_record"]

MANIFEST = "manifest.json"
# written by bd/build_bd.tcl next to the bitstream: the config it was built from, file sizes
OVERLAY_RECORD = "overlay/build.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def regenerate_hint(root: Path, manifest: dict | None = None) -> str:
    """The command that rebuilds the project at ``root`` (its widths when they are known)."""
    cfg = (manifest or {}).get("config") if isinstance(manifest, dict) else None
    args = ""
    if isinstance(cfg, dict):
        try:
            bits = ",".join(str(int(b)) for b in cfg.get("bits", ()))
            tiles = "x".join(str(int(t)) for t in cfg.get("tiles", ()))
            args = f" --bits {bits} --board {cfg.get('board')} --tiles {tiles}"
        except (TypeError, ValueError):
            args = ""
    return f"regenerate it with 'fracfpga generate{args} --out {root}'"


def read_manifest(root: Path) -> dict:
    """The parsed ``manifest.json`` of ``root``; ``ProjectError`` when missing or unreadable."""
    root = Path(root)
    mf = root / MANIFEST
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} is a file, not a generated project; pass the folder that "
                           f"'fracfpga generate --out' wrote")
    if not mf.is_file():
        raise ProjectError(f"{root} is not a generated project (no {MANIFEST}); run "
                           f"'fracfpga generate --out {root}' first")
    try:
        data = json.loads(mf.read_text())
    except OSError as exc:
        raise ProjectError(f"cannot read {mf} ({exc.strerror or exc}); check its permissions "
                           f"or {regenerate_hint(root)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProjectError(f"{mf} is not valid JSON ({exc}); the project is corrupted: "
                           f"{regenerate_hint(root)}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{mf} does not hold a manifest object; {regenerate_hint(root)}")
    return data


def verify_manifest(root: Path, manifest: dict, *, files: bool = True) -> ArrayConfig:
    """Check the config against its hash and the generated files against theirs.

    Returns the project's ArrayConfig. Raises ``ProjectError`` naming the first problem and
    the command that regenerates the project.
    """
    root = Path(root)
    hint = regenerate_hint(root, manifest)
    try:
        cfg = ArrayConfig.from_dict(manifest["config"])
    except KeyError:
        raise ProjectError(f"{root / MANIFEST} has no config; {hint}") from None
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise ProjectError(f"{root / MANIFEST} holds no valid config ({exc}); {hint}") from None
    recorded = manifest.get("config_hash")
    if recorded != cfg.config_hash():
        raise ProjectError(f"the config in {root / MANIFEST} does not match its config_hash "
                           f"({recorded!r} recorded, {cfg.config_hash()} computed): the "
                           f"manifest was edited; {hint}")
    if not files:
        return cfg
    table = manifest.get("files")
    if not isinstance(table, dict) or not table:
        raise ProjectError(f"{root / MANIFEST} records no file hashes; {hint}")
    for rel, digest in sorted(table.items()):
        path = root / rel
        if not path.is_file():
            raise ProjectError(f"{path} is missing: the project is incomplete; {hint}")
        try:
            actual = file_sha256(path)
        except OSError as exc:
            raise ProjectError(f"cannot read {path} ({exc.strerror or exc}); check its "
                               f"permissions or {hint}") from None
        if actual != digest:
            raise ProjectError(f"{path} differs from the SHA-256 recorded in {MANIFEST} (edited "
                               f"or truncated); {hint}")
    return cfg


def check_overlay_record(root: Path, manifest: dict) -> str | None:
    """Check ``overlay/`` against the record its build wrote; ``None`` when it matches.

    A record from another config (a stale overlay kept across a regenerate) or files whose size
    changed since the build (replaced by hand) raise ``ProjectError``. Without an overlay, or
    without a record (an overlay built elsewhere; the .hwh checks still apply), a note says so.
    """
    root = Path(root)
    bit, hwh = root / "overlay" / "frac_array.bit", root / "overlay" / "frac_array.hwh"
    if not bit.exists():
        return "no overlay"
    rebuild = (f"rebuild it with 'vivado -mode batch -source bd/build_bd.tcl' in {root}, or "
               f"remove {root / 'overlay'}")
    rec_path = root / OVERLAY_RECORD
    if not rec_path.is_file():
        return f"{rec_path} is missing: the overlay was not built by this project's Tcl"
    try:
        rec = json.loads(rec_path.read_text())
        want_hash = str(rec["config_hash"])
        sizes = {bit: int(rec["bit_bytes"]), hwh: int(rec["hwh_bytes"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ProjectError(f"{rec_path} is unreadable ({exc}); {rebuild}") from None
    if want_hash != manifest.get("config_hash"):
        raise ProjectError(f"{root / 'overlay'} is stale: it was built from config {want_hash}, "
                           f"the project is config {manifest.get('config_hash')}; {rebuild}")
    for path, size in sizes.items():
        if not path.is_file() or path.stat().st_size != size:
            raise ProjectError(f"{path} is not the file the overlay build wrote ({size} bytes "
                               f"recorded); {rebuild}")
    return None


def generated_entries(manifest: dict) -> set[str]:
    """Top-level names that generate writes (every other entry is the user's or a build's)."""
    names = {MANIFEST}
    for rel in (manifest.get("files") or {}):
        names.add(rel.split("/", 1)[0])
    return names


def _swap(tmp: Path, out: Path, keep: Sequence[str]) -> None:
    """Rename ``tmp`` to ``out``; entries of the old ``out`` named in ``keep`` move across."""
    if not out.exists():
        tmp.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
    old.rmdir()
    out.rename(old)
    moved: list[str] = []
    try:
        for name in keep:
            if (old / name).exists() and not (tmp / name).exists():
                (old / name).rename(tmp / name)
                moved.append(name)
        tmp.rename(out)
    except BaseException:
        for name in moved:  # put the old folder back as it was
            (tmp / name).rename(old / name)
        if not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_folder(out: Path, *, keep: Sequence[str] | None = None,
                  keep_all_but: set[str] | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it replaces ``out`` in one rename.

    ``keep`` names entries of an existing ``out`` that move into the new folder (build outputs
    the new content does not provide); ``keep_all_but`` keeps every entry except those. On any
    error, or Ctrl-C, the temporary folder is removed and ``out`` is untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        names = list(keep or ())
        if keep_all_but is not None and out.is_dir():
            names += sorted(p.name for p in out.iterdir() if p.name not in keep_all_but)
        _swap(tmp, out, names)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
