// fracfpga static HLS header: the digit-pair schedule of one descriptor, in MSB-first rings.
//
// Ring r holds the pairs (p_a, p_b) with max(p_a, p_b) = r (p = 0 is an operand's top digit),
// in lexicographic order, as fpga_model.digits.ring_pairs. After ring r the accumulator holds
// exactly the dot product of the operands truncated to their top r+1 digits, which is what
// makes early termination a prefix of the exact computation. The walker builds the table once
// per descriptor (the descriptor-to-instruction step); the engine then only indexes it.
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
    unsigned ring_begin[CFG::MAX_DIGITS + 1];  // ring r is [ring_begin[r], ring_begin[r + 1])
    unsigned rings;                // max(D_a, D_b)
    unsigned pairs;                // D_a * D_b
};

// Fill s with the rings of a D_a x D_b digit pair.
template <class CFG>
void build_schedule(unsigned da, unsigned db, schedule<CFG> &s) {
    unsigned q = 0;
    s.rings = da > db ? da : db;
    for (unsigned r = 0; r < CFG::MAX_DIGITS; ++r) {
        s.ring_begin[r] = q;
        for (unsigned pa = 0; pa < CFG::MAX_DIGITS; ++pa) {
            for (unsigned pb = 0; pb < CFG::MAX_DIGITS; ++pb) {
#pragma HLS PIPELINE II=1
                const unsigned top = pa > pb ? pa : pb;
                if (pa < da && pb < db && top == r) {
                    s.pa[q] = pa;
                    s.pb[q] = pb;
                    s.shift[q] = 2 * ((da - 1 - pa) + (db - 1 - pb));
                    ++q;
                }
            }
        }
    }
    s.ring_begin[CFG::MAX_DIGITS] = q;
    s.pairs = q;
}

}  // namespace frac

#endif  // FRAC_SCHEDULE_H
