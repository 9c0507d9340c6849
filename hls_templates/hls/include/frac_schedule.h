// fracfpga static HLS header: the digit-pair schedule of one descriptor, in MSB-first rings.
//
// Ring r holds the pairs (p_a, p_b) with max(p_a, p_b) = r (p = 0 is an operand's top digit),
// in lexicographic order, as fpga_model.digits.ring_pairs. The early-stop prefix (the top p
// digits of A x the top q digits of B) is issued first, each group in ring order
// (fpga_model.digits.prefix_groups): after the first `split` pairs the accumulator holds
// exactly the dot product of the operands truncated to those digits, which is what makes early
// termination a prefix of the exact computation (the symmetric stop ring R is p = q = R + 1).
// The walker builds the table once per descriptor (the descriptor-to-instruction step); the
// engine then only indexes it.
#ifndef FRAC_SCHEDULE_H
#define FRAC_SCHEDULE_H

#include "frac_digits.h"
#include "frac_types.h"

namespace frac {

template <class CFG>
struct schedule {
    static const unsigned MAX_PAIRS = CFG::MAX_DIGITS * CFG::MAX_DIGITS;
    ap_uint<8> pa[MAX_PAIRS];      // digit of A (0 = top)
    ap_uint<8> pb[MAX_PAIRS];      // digit of B (0 = top)
    ap_uint<8> shift[MAX_PAIRS];   // the tile shifter's amount, 2 * (weight of a + weight of b)
    unsigned rings;                // max(D_a, D_b)
    unsigned pairs;                // D_a * D_b
    unsigned split;                // pairs of the prefix, issued first
};

// Fill s with the pairs of a D_a x D_b digit pair: the prefix's (p_a < kp and p_b < kq)
// first, then the rest, each in ring order.
template <class CFG>
void build_schedule(unsigned da, unsigned db, unsigned kp, unsigned kq, schedule<CFG> &s) {
    unsigned q = 0;
    s.rings = da > db ? da : db;
    for (unsigned g = 0; g < 2; ++g) {
        if (g == 1) {
            s.split = q;
        }
        for (unsigned r = 0; r < CFG::MAX_DIGITS; ++r) {
            for (unsigned pa = 0; pa < CFG::MAX_DIGITS; ++pa) {
                for (unsigned pb = 0; pb < CFG::MAX_DIGITS; ++pb) {
#pragma HLS PIPELINE II=1
                    const unsigned top = pa > pb ? pa : pb;
                    const bool in_prefix = pa < kp && pb < kq;
                    if (pa < da && pb < db && top == r && in_prefix == (g == 0)) {
                        s.pa[q] = pa;
                        s.pb[q] = pb;
                        s.shift[q] = 2 * ((da - 1 - pa) + (db - 1 - pb));
                        ++q;
                    }
                }
            }
        }
    }
    s.pairs = q;
}

}  // namespace frac

#endif  // FRAC_SCHEDULE_H
