// fracfpga static HLS header: operand codes from their digit planes in DDR (memory contract v2).
//
// An operand is a list of lines (A: rows, B: columns) of K codes. Per 16-wide K chunk a line
// holds D = ceil(b/2) plane words of 32 bits, most significant plane first; bits [2l+1:2l] of a
// word are the digit of reduction index 16*chunk + l (fpga_model/planes.py). Every pattern is a
// legal code: the pad bit of an odd width is masked (dropped by the >> pad below), and lanes
// past K are never read. Functional reader for the C-sim; it reads a code's planes one by one.
#ifndef FRAC_PLANES_H
#define FRAC_PLANES_H

#include "frac_digits.h"
#include "frac_mem.h"
#include "frac_types.h"

namespace frac {

// The code of reduction index kk of line `line` (K codes per line) at byte offset base.
template <class CFG>
code_t read_plane_code(const word_t *mem, addr_t base, uint64_t line, uint64_t kk, uint64_t k,
                       unsigned bits, bool is_signed) {
#pragma HLS INLINE
    const unsigned d = num_digits(bits);
    const unsigned pad = pad_bits(bits);
    const uint64_t chunks = ceil_div(k, CFG::PLANE_K);
    const unsigned lane = unsigned(kk % CFG::PLANE_K);
    const addr_t at = base + addr_t(CFG::PLANE_BYTES) * ((line * chunks + kk / CFG::PLANE_K) * d);
    const unsigned tc_planes = CFG::MAX_DIGITS;
    (void)tc_planes;  // read by a loop_tripcount pragma only
    ap_uint<18> u = 0;  // the padded code, 2d bits
    for (unsigned p = 0; p < d; ++p) {
#pragma HLS loop_tripcount min=1 max=tc_planes
        const ap_uint<32> w = mem_read<32>(mem, at + addr_t(CFG::PLANE_BYTES) * p);
        u = (u << 2) | ap_uint<18>(w.range(2 * lane + 1, 2 * lane));
    }
    ap_int<19> v = ap_int<19>(u);
    if (is_signed && u[2 * d - 1]) {
        v -= ap_int<19>(1) << (2 * d);  // two's complement of the 2d-bit field
    }
    return code_t(ap_uint<16>(v >> pad));
}

}  // namespace frac

#endif  // FRAC_PLANES_H
