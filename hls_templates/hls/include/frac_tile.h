// fracfpga static HLS header: the tile array's datapath for one digit pair and one K chunk.
//
// A tile owns one output. Its BRICKS bricks multiply digit p_a of A and digit p_b of B for
// BRICKS consecutive reduction indices; one adder tree sums the products and one shifter moves
// the sum by 2 * (weight of p_a + weight of p_b) into the accumulator (ap_int<ACC_WIDTH>).
// Precision changes which pair and shift the schedule issues, never this datapath. Rows of
// tiles share A digits, columns share B digits (operands broadcast along rows and columns).
#ifndef FRAC_TILE_H
#define FRAC_TILE_H

#include "frac_digits.h"
#include "frac_types.h"

namespace frac {

// The adder tree's output type: BRICKS products in [-6, 9] sum to [-6 * BRICKS, 9 * BRICKS].
template <class CFG>
struct tree {
    static const unsigned WIDTH = bits_for(9 * CFG::BRICKS) + 1;
    typedef ap_int<WIDTH> type;
};

// What the array needs to know about one operand for this descriptor.
struct operand_mode {
    unsigned digits;   // D
    unsigned pad;      // bottom padding (odd widths)
    bool is_signed;    // sign mode of the top digit
};

// One cycle of the array: every tile adds (sum of BRICKS digit products) << shift.
template <class CFG>
void array_step(const code_t a[CFG::TM][CFG::BRICKS], const code_t b[CFG::BRICKS][CFG::TN],
                const operand_mode &ma, const operand_mode &mb, unsigned pa, unsigned pb,
                unsigned shift, typename CFG::acc_t acc[CFG::TM][CFG::TN]) {
#pragma HLS INLINE
    digit_t adig[CFG::TM][CFG::BRICKS];
    digit_t bdig[CFG::BRICKS][CFG::TN];
#pragma HLS ARRAY_PARTITION variable=adig complete dim=0
#pragma HLS ARRAY_PARTITION variable=bdig complete dim=0
    const bool sa = ma.is_signed && pa == 0;
    const bool sb = mb.is_signed && pb == 0;
    for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
        for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS UNROLL
            adig[i][l] = digit_of(a[i][l], ma.digits, ma.pad, pa);
        }
    }
    for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS UNROLL
        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
            bdig[l][j] = digit_of(b[l][j], mb.digits, mb.pad, pb);
        }
    }
    for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
            typename tree<CFG>::type sum = 0;
            for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS UNROLL
                sum += brick_product(adig[i][l], bdig[l][j], sa, sb);
            }
            acc[i][j] += typename CFG::acc_t(sum) << shift;
        }
    }
}

}  // namespace frac

#endif  // FRAC_TILE_H
