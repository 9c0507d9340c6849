"""The fast path: the same numbers as ``gemm_reference``, from exact integer GEMMs via BLAS.

A float GEMM is exact while every partial sum stays below 2^mantissa: float32 when
K * max|a| * max|b| < 2^24, float64 below 2^53, int64 beyond (never reached for a valid
ArrayConfig at 48 bits). The early-stop prefix is the GEMM of MSB-truncated operands
(``digits.truncate``), the value the accumulator holds after the stop ring.

Values come back as int32 when that same bound is below 2^31 (every value then fits, and
half-width outputs halve the traffic of everything downstream), else as int64.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .config import ArrayConfig
from .cycles import pass_counters
from .digits import truncate
from .errors import ConfigError
from .operands import check_gemm_args, is_torch, relative_tau
from .result import GemmResult
from .scratch import scratch_flat

__all__ = ["gemm", "exact_matmul"]

_F32_EXACT = 1 << 24
_F64_EXACT = 1 << 53
_I32_HOLDS = 1 << 31


def value_dtype(bound: int, torch_dtypes: bool = False):
    """int32 when every value is below ``bound`` < 2^31 in magnitude, else int64."""
    if torch_dtypes:
        import torch

        return torch.int32 if bound < _I32_HOLDS else torch.int64
    return np.int32 if bound < _I32_HOLDS else np.int64


_BLOCK_ELEMS = 1 << 18  # operand elements per cache block (about 1 MB as float32)


def _float_dtype(bound: int):
    if bound < _F32_EXACT:
        return np.float32
    if bound < _F64_EXACT:
        return np.float64
    return None


def _low_mask(x: np.ndarray, drop: int) -> np.ndarray:
    """A mask that clears the low ``drop`` bits in ``x``'s dtype (truncation toward -inf)."""
    return np.array(-(1 << drop)).astype(x.dtype)


def _blocked_products(a: np.ndarray, b: np.ndarray, dt, drops: tuple[int, int] | None,
                      out_dt=np.int64):
    """``a @ b`` and, when ``drops`` is given, ``trunc(a) @ trunc(b)``, in cache-sized blocks.

    Converting int codes to float costs more than a skinny GEMM; doing it per block keeps the
    converted block in cache, so each operand crosses memory once.
    """
    m, k = a.shape
    n = b.shape[1]
    exact = np.zeros((m, n), dtype=dt)
    prefix = np.zeros((m, n), dtype=dt) if drops else None
    if drops:
        ma, mb = _low_mask(a, drops[0]), _low_mask(b, drops[1])
    if m >= k:  # tall A: blocks of rows, B converted once
        bf = b.astype(dt)
        tbf = (b & mb).astype(dt) if drops else None
        rows = max(1, _BLOCK_ELEMS // k)
        for r0 in range(0, m, rows):
            blk = a[r0:r0 + rows]
            np.matmul(blk.astype(dt), bf, out=exact[r0:r0 + rows])
            if drops:
                np.matmul((blk & ma).astype(dt), tbf, out=prefix[r0:r0 + rows])
    else:  # long K: blocks of the reduction, summed (still exact under the same bound)
        step = max(1, _BLOCK_ELEMS // max(m, n))
        for k0 in range(0, k, step):
            ablk, bblk = a[:, k0:k0 + step], b[k0:k0 + step]
            exact += ablk.astype(dt) @ bblk.astype(dt)
            if drops:
                prefix += (ablk & ma).astype(dt) @ (bblk & mb).astype(dt)
    return exact.astype(out_dt), prefix.astype(out_dt) if drops else None


_BYTE_MM_MAX_K = (1 << 31) // (128 * 128)  # int32 sums of K products of int8 codes stay exact
_byte_mm_ok: bool | None = None  # probed once: torch._int_mm is present and exact here


def _probe_byte_mm() -> bool:
    """True when ``torch._int_mm`` (int8 x int8 -> int32) gives exact products on this CPU.

    Checked once against int64 products, on extreme codes that a kernel with saturating 16-bit
    pair sums (u8 x s8 instructions without VNNI) would get wrong, and on random codes, with
    contiguous and transposed operands.
    """
    try:
        import torch

        rng = np.random.default_rng(0)
        for m, k, n in ((1, 1, 1), (3, 7, 5), (17, 130, 9), (64, 257, 33), (5, 4099, 3)):
            for lo, hi in ((-128, -127), (127, 128), (-128, 128), (None, None)):
                if lo is None:  # only the two extremes, mixed
                    a = np.where(rng.random((m, k)) < 0.5, -128, 127).astype(np.int8)
                    b = np.where(rng.random((k, n)) < 0.5, -128, 127).astype(np.int8)
                else:
                    a = rng.integers(lo, hi, (m, k)).astype(np.int8)
                    b = rng.integers(lo, hi, (k, n)).astype(np.int8)
                want = a.astype(np.int64) @ b.astype(np.int64)
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                for x, y in ((ta, tb), (ta.t().contiguous().t(), tb.t().contiguous().t())):
                    if not np.array_equal(torch._int_mm(x, y).numpy().astype(np.int64), want):
                        return False
        return True
    except (ImportError, AttributeError, RuntimeError, TypeError):  # no (working) _int_mm
        return False


def _byte_codes(x) -> bool:
    """2-D 1-byte integer codes on the CPU that torch can use without a copy."""
    if is_torch(x):
        return x.dtype in _torch_byte_dtypes() and x.dim() == 2 and x.device.type == "cpu"
    return (isinstance(x, np.ndarray) and x.dtype in (np.int8, np.uint8) and x.ndim == 2
            and x.flags.writeable and all(st >= 0 for st in x.strides))


@lru_cache(maxsize=1)
def _torch_byte_dtypes() -> tuple:
    import torch

    return torch.int8, torch.uint8


def _flip_sign_bit(x, slot: int):
    """``x - 128`` of uint8 codes as int8 (a bit flip), in a scratch buffer, same layout."""
    import torch

    flat = scratch_flat(f"fast.flip{slot}", x.numel(), torch.uint8)
    if x.dim() == 2 and not x.is_contiguous() and x.t().is_contiguous():
        out = flat.view(x.shape[1], x.shape[0]).t()  # keep a transposed operand's layout
    else:
        out = flat.view(x.shape)
    return torch.bitwise_xor(x, 128, out=out).view(torch.int8)


def _byte_matmul(a, b, out_dtype):
    """Exact ``a @ b`` of int8/uint8 codes with ``torch._int_mm``, returned as ``out_dtype``.

    uint8 codes are shifted to int8 (``x - 128``, a bit flip) and the shift's terms are added
    back exactly: ``(a' + sa)(b' + sb) = a'b' + sb rowsum(a') + sa colsum(b') + k sa sb``.
    Below K = 2^15 every partial result is under k * 2^16 < 2^31, so the terms are added to
    the int32 product, which is the result when ``out_dtype`` is int32.
    """
    import torch

    k = a.shape[1]
    sa = 128 if a.dtype == torch.uint8 else 0
    sb = 128 if b.dtype == torch.uint8 else 0
    a8 = _flip_sign_bit(a, 0) if sa else a
    b8 = _flip_sign_bit(b, 1) if sb else b
    out = torch._int_mm(a8, b8)
    if not (sa or sb):
        return out.to(out_dtype)
    narrow = k < (1 << 15)
    acc = torch.int32 if narrow else torch.int64
    if not narrow:
        out = out.to(torch.int64)
    if sb:
        rows = a8.sum(1, dtype=acc).mul_(sb)
        if sa:
            rows.add_(k * sa * sb)
        out.add_(rows.view(-1, 1))
    if sa:
        out.add_(b8.sum(0, dtype=acc).mul_(sa).view(1, -1))
    return out.to(out_dtype)




def _use_byte_mm(a, b) -> bool:
    global _byte_mm_ok
    if a.shape[1] > _BYTE_MM_MAX_K:
        return False
    if not (_byte_codes(a) and _byte_codes(b)):
        return False
    if _byte_mm_ok is None:
        _byte_mm_ok = _probe_byte_mm()
    return _byte_mm_ok


def exact_matmul(a, b, bound: int):
    """Exact integer product of integer matrices whose partial sums are bounded by ``bound``.

    Takes numpy arrays (returns numpy) or torch tensors (returns torch, same device); values
    are int32 when ``bound`` < 2^31, else int64 (``value_dtype``). A float GEMM is exact while
    every partial sum stays below 2^mantissa; 1-byte codes on the CPU use an int8 GEMM with
    int32 sums (exact for K below 2^17) at every size, where torch has an exact one.
    """
    if _use_byte_mm(a, b):
        import torch

        out_dtype = value_dtype(bound, torch_dtypes=True)
        if is_torch(a):
            return _byte_matmul(a, b, out_dtype)
        return _byte_matmul(torch.from_numpy(a), torch.from_numpy(b), out_dtype).numpy()
    if is_torch(a):
        import torch

        if bound < _F32_EXACT and a.device.type == "cpu":
            dt = torch.float32
        elif bound < _F64_EXACT:
            dt = torch.float64  # on CUDA fp64 is exact and fast for these shapes (DESIGN §5)
        else:
            return a.to(torch.int64) @ b.to(torch.int64)
        return (a.to(dt) @ b.to(dt)).to(value_dtype(bound, torch_dtypes=True))
    dt = _float_dtype(bound)
    if dt is None:
        return a.astype(np.int64) @ b.astype(np.int64)
    return _blocked_products(a, b, dt, None, value_dtype(bound))[0]


@lru_cache(maxsize=1024)
def _digit_product_bound(cfg: ArrayConfig, a_bits: int, a_signed: bool, b_bits: int,
                         b_signed: bool) -> int:
    """Largest |partial sum| one reduction step can add to the accumulator (padded scale)."""
    return cfg.digit_abs_bound(a_bits, a_signed) * cfg.digit_abs_bound(b_bits, b_signed)


def _drop(cfg: ArrayConfig, bits: int, keep: int) -> int:
    """Low code bits that truncation to the top ``keep`` digits clears."""
    return max(0, cfg.brick_width * (cfg.digits(bits) - keep) - cfg.pad(bits))


def _round_up(absmax: int, bits: int, keep: int, cfg: ArrayConfig) -> int:
    step = 1 << _drop(cfg, bits, keep)
    return -(-absmax // step) * step


@lru_cache(maxsize=256)
def _no_stops(m: int, n: int) -> np.ndarray:
    """The all-False stop mask of an M x N pass, shared read-only (passes repeat every batch)."""
    mask = np.zeros((m, n), dtype=bool)
    mask.flags.writeable = False
    return mask


def _np(x) -> np.ndarray:
    return x.cpu().numpy() if is_torch(x) else np.asarray(x)


def _check_call(cfg, a, b, a_bits, b_bits, device):
    """Refuse wrong argument types with the fix; bring a numpy operand beside a torch one.

    Returns the operands, both numpy or both torch (a numpy operand next to a tensor moves to
    the tensor's device, so mixed calls give the same numbers as unmixed ones).
    """
    if not isinstance(cfg, ArrayConfig):
        raise TypeError(f"gemm needs an ArrayConfig as its first argument, not "
                        f"{type(cfg).__name__}; pass e.g. ArrayConfig(bits=(4, 8))")
    for name, v in (("a_bits", a_bits), ("b_bits", b_bits)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name} {v!r} is not an int; pass the width as an int, e.g. "
                            f"{name}=4")
    if device is not None:
        if not isinstance(device, str) or device.split(":")[0] not in ("cpu", "cuda"):
            raise ConfigError(f"device {device!r} is not 'cpu' or 'cuda'; pass one of them "
                              f"(or None)")
        if device != "cpu":
            import torch

            if not torch.cuda.is_available():
                raise ConfigError(f"device {device!r} is not available: torch sees no CUDA "
                                  f"device; pass device='cpu' or None")
    ta, tb = is_torch(a), is_torch(b)
    if ta != tb:
        import torch

        where = a.device if ta else b.device
        if ta:
            b = torch.as_tensor(np.asarray(b), device=where)
        else:
            a = torch.as_tensor(np.asarray(a), device=where)
    elif ta and a.device != b.device:
        raise ConfigError(f"A is on {a.device} and B on {b.device}; move both to one device")
    return a, b


def gemm(cfg: ArrayConfig, a, b, a_bits: int, b_bits: int, *, a_signed: bool = True,
         b_signed: bool = True, stop_ring: int | None = None, tau: int | None = None,
         prefix: tuple[int, int] | None = None, tau_rel: int | None = None,
         device: str | None = None) -> GemmResult:
    """GEMM of integer codes ``a`` (M x K) and ``b`` (K x N) on the array, bit-exact.

    Same contract as ``gemm_reference`` (values int32 where their bound allows, see
    ``value_dtype``). Operands may be numpy arrays (keep them in compact
    dtypes such as int8/int16) or torch tensors; ``device="cuda"`` moves numpy operands to the
    GPU and runs there (values come back as numpy). The stop mask is always numpy. A numpy
    operand beside a torch one is moved to the tensor's device.

    Raises:
        TypeError: ``cfg`` is not an ArrayConfig, or a width is not an int.
        ConfigError: a bad operand, shape, width, early-stop argument or device.
    """
    a, b = _check_call(cfg, a, b, a_bits, b_bits, device)
    to_numpy = False
    if device is not None and device != "cpu" and not is_torch(a):
        import torch

        a = torch.as_tensor(np.asarray(a), device=device)
        b = torch.as_tensor(np.asarray(b), device=device)
        to_numpy = True
    elif not is_torch(a):
        a, b = np.asarray(a), np.asarray(b)
    g = check_gemm_args(cfg, a, b, a_bits, b_bits, a_signed, b_signed, stop_ring, tau, prefix,
                        tau_rel)
    if g.k * _digit_product_bound(cfg, a_bits, a_signed, b_bits, b_signed) >= \
            1 << (cfg.acc_width - 1):
        # a partial sum might not fit the accumulator: let the definition decide (it raises)
        from .reference import gemm_reference

        ref = gemm_reference(cfg, _np(a), _np(b), a_bits, b_bits, a_signed=a_signed,
                             b_signed=b_signed, stop_ring=stop_ring, tau=tau, prefix=prefix,
                             tau_rel=tau_rel)
        return ref
    bound = g.k * g.a_absmax * g.b_absmax
    stopped_np = None
    pmax = tau_used = 0
    if g.keep is None:
        values = exact_matmul(a, b, bound)
    else:
        ka, kb = g.keep
        # truncation rounds toward -inf: |trunc(x)| <= max|x| rounded up to a digit step
        pbound = (g.k * _round_up(g.a_absmax, a_bits, ka, cfg)
                  * _round_up(g.b_absmax, b_bits, kb, cfg))
        both = max(bound, pbound)  # one bound, so values and prefix share a dtype
        dt = _float_dtype(both)
        if is_torch(a) or dt is None:
            values = exact_matmul(a, b, both)
            partial = exact_matmul(truncate(a, a_bits, ka), truncate(b, b_bits, kb), both)
        else:
            values, partial = _blocked_products(a, b, dt, (_drop(cfg, a_bits, ka),
                                                           _drop(cfg, b_bits, kb)),
                                                value_dtype(both))
        tau_used = pmax = g.tau
        if g.tau_rel is not None:  # the prefix sweep's maximum sets this pass's threshold
            pmax = int(partial.abs().max()) if is_torch(partial) else int(np.abs(partial).max())
            tau_used = relative_tau(pmax, g.tau_rel)
        stopped = partial.abs() >= tau_used if is_torch(partial) else np.abs(partial) >= tau_used
        if is_torch(values):
            import torch

            values = torch.where(stopped, partial, values)
            stopped_np = stopped.cpu().numpy()
        else:
            np.copyto(values, partial, where=stopped)
            stopped_np = stopped
    counters = pass_counters(cfg, g.m, g.n, g.k, a_bits, b_bits, g.stop_ring, stopped_np,
                             prefix=g.keep, two_sweeps=g.tau_rel is not None)
    # what the array reports in STAT: the prefix sweep's maximum (relative tau) and the tau
    counters["prefix_max"], counters["tau"] = pmax if g.tau_rel is not None else 0, tau_used
    if stopped_np is None:
        stopped_np = _no_stops(g.m, g.n)
    if to_numpy:
        values = values.cpu().numpy()
    return GemmResult(values, stopped_np, counters["cycles"], counters)
