"""Data-parallel training: 2 CPU processes (gloo) charge exactly what one process charges."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from host.dist import SINGLE, strip_nproc

COSTS = ("eff_macs", "baseline_eff_macs", "latency_s", "baseline_latency_s", "energy_j",
         "baseline_energy_j", "dropped_batches", "steps")
SMALL = ["--epochs", "1", "--width", "4", "--batch-size", "64", "--no-plots", "--threads", "1"]


def _train(out, *args, launcher=None) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = launcher or [sys.executable, "-m", "host.cli"]
    r = subprocess.run([*cmd, "train", *args, *SMALL, "--out", str(out)], capture_output=True,
                       text=True, check=False, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out / "report.json").read_text())
    return {"doc": doc, "summary": doc["runs"][0]["summary"], "stdout": r.stdout}


def test_two_processes_charge_what_one_process_charges(tmp_path):
    one = _train(tmp_path / "one", "--method", "smd")
    two = _train(tmp_path / "two", "--method", "smd", "--nproc", "2")
    assert two["doc"]["world_size"] == 2 and one["doc"]["world_size"] == 1
    assert "world size (processes)" in two["stdout"] and "2 processes" in two["stdout"]
    assert {k: two["summary"][k] for k in COSTS} == {k: one["summary"][k] for k in COSTS}
    assert 0 < two["summary"]["dropped_batches"] < two["summary"]["steps"]  # SMD decided


@pytest.mark.slow
def test_the_same_entry_under_torchrun(tmp_path):
    args = ("--method", "pfq", "--set", "pfq.mode=fixed", "--set", "pfq.fixed=5,10,15")
    one = _train(tmp_path / "one", *args)
    run = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
           "-m", "host.cli"]
    two = _train(tmp_path / "two", *args, launcher=run)
    assert two["doc"]["world_size"] == 2
    assert two["doc"]["runs"][0]["events"] == one["doc"]["runs"][0]["events"] == [
        "step 5: PFQ stage 1", "step 10: PFQ stage 2", "step 15: PFQ stage 3"]
    assert {k: two["summary"][k] for k in COSTS} == {k: one["summary"][k] for k in COSTS}


def test_odd_batch_is_refused_before_training(tmp_path):
    r = subprocess.run([sys.executable, "-m", "host.cli", "train", "--nproc", "2",
                        "--batch-size", "63", "--epochs", "1", "--out", str(tmp_path / "r")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert r.stderr.startswith("error: --batch-size 63 does not split evenly over 2 processes")
    assert len(r.stderr.strip().splitlines()) == 1


def test_single_process_handle_and_argv():
    assert not SINGLE.active and SINGLE.mean(2.5) == 2.5 and SINGLE.agree("x") == "x"
    assert SINGLE.gather(3) == [3]
    assert strip_nproc(["train", "--nproc", "2", "--seed", "1", "--nproc=3"]) == \
        ["train", "--seed", "1"]


class _TwoRanks:
    """Rank 0 of a fake 2-process run whose other rank ran ``other``."""

    def __init__(self, other):
        self.other, self.main, self.world, self.active = other, True, 2, True

    def gather(self, mine):
        return [mine, self.other]


def test_dist_ledger_charges_merged_passes_and_splits_long_reductions_again():
    from fpga_model import ArrayConfig, Descriptor, Pass, pass_counters
    from host.distledger import DistLedger
    from host.ledger import Ledger

    cfg = ArrayConfig(max_k=256)

    def d(p, m, n, k, a=4, b=8):
        return Descriptor(m=m, n=n, k=k, a_bits=a, b_bits=b, pass_=p, layer=3)

    # each rank: FW of 100 rows, and GC whose 200-long reduction fits one pass
    rank = [(d(Pass.FW, 100, 8, 72), None), (d(Pass.GC, 72, 8, 200), None)]
    led = DistLedger(cfg, dist=_TwoRanks(list(rank)))
    for desc, _ in rank:
        led.record(desc, {})
    assert led.method == {}  # nothing is charged before the step's flush
    led.flush()
    one = Ledger(cfg)  # one process: FW of 200 rows, GC of 400 split into 256 + 144
    for desc in (d(Pass.FW, 200, 8, 72), d(Pass.GC, 72, 8, 256), d(Pass.GC, 72, 8, 144)):
        one.record(desc, pass_counters(cfg, desc.m, desc.n, desc.k, 4, 8, None, None))
    assert led.method == one.method
    assert led.method[(3, Pass.GC)].passes == 2


def test_dist_ledger_charges_early_stopped_passes_with_each_ranks_stop_mask():
    import numpy as np

    from fpga_model import ArrayConfig, Descriptor, Pass, gemm
    from host.distledger import DistLedger
    from host.ledger import Ledger

    cfg = ArrayConfig(bits=(4, 8), tiles=(2, 2))
    rng = np.random.default_rng(3)
    runs = []
    for tau in (1, 400):  # this rank's pass and the other rank's
        a = rng.integers(-8, 8, (6, 30)).astype(np.int32)
        b = rng.integers(-128, 128, (30, 4)).astype(np.int32)
        r = gemm(cfg, a, b, 4, 8, stop_ring=0, tau=tau)
        d = Descriptor(m=6, n=4, k=30, a_bits=4, b_bits=8, stop_ring=0, tau=tau,
                       pass_=Pass.GC, layer=1)
        runs.append((d, r.counters, r.stopped))
    assert runs[0][1]["blocks_skipped"] != runs[1][1]["blocks_skipped"]
    mine, other = runs
    led = DistLedger(cfg, dist=_TwoRanks([(other[0], (other[1], other[2]))]))
    led.record(*mine)
    led.flush()
    one = Ledger(cfg)
    for run in runs:
        one.record(*run)
    assert led.method == one.method and led.method[(1, Pass.GC)].passes == 2
