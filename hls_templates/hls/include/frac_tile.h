// fracfpga static HLS header: the tile array's datapath for one digit pair and one K chunk.
//
// A tile owns one output. Its BRICKS bricks multiply digit p_a of A and digit p_b of B for
// BRICKS consecutive reduction indices; one adder tree sums the products and one shifter moves
// the sum by 2 * (weight of p_a + weight of p_b) into the accumulator (ap_int<ACC_WIDTH>).
// Precision changes which pair and shift the schedule issues, never this datapath. Rows of
// tiles share A digits, columns share B digits (operands broadcast along rows and columns):
// the digits come straight from the plane words the operand buffers hold, lanes past K read as
// zero digits, and a tile whose output stopped early holds its value (its adds are dropped).
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

// What the array needs to know about one operand's digit plane in this cycle.
struct plane_mode {
    bool is_signed;   // sign mode: the top plane of a signed operand
    bool bottom_pad;  // the bottom plane of an odd width: bit 0 of each digit is padding
};

// One cycle of the array: every running tile adds (sum of BRICKS digit products) << shift.
// a[i] / b[j] are the plane words of row i / column j; lanes [lane0, lane0 + BRICKS) of them
// hold this chunk, of which the first `valid` are inside K.
template <class CFG>
void array_step(const ap_uint<32> a[CFG::TM], const ap_uint<32> b[CFG::TN], unsigned lane0,
                unsigned valid, const plane_mode &ma, const plane_mode &mb, unsigned shift,
                const bool stop[CFG::TM][CFG::TN], typename CFG::acc_t acc[CFG::TM][CFG::TN]) {
#pragma HLS INLINE
    digit_t adig[CFG::TM][CFG::BRICKS];
    digit_t bdig[CFG::BRICKS][CFG::TN];
#pragma HLS ARRAY_PARTITION variable=adig complete dim=0
#pragma HLS ARRAY_PARTITION variable=bdig complete dim=0
    for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS UNROLL
        const bool in_k = l < valid;
        for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
            adig[i][l] = in_k ? plane_digit(a[i], lane0 + l, ma.bottom_pad) : digit_t(0);
        }
        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
            bdig[l][j] = in_k ? plane_digit(b[j], lane0 + l, mb.bottom_pad) : digit_t(0);
        }
    }
    for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
            typename tree<CFG>::type sum = 0;
            for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS UNROLL
                sum += brick_product(adig[i][l], bdig[l][j], ma.is_signed, mb.is_signed);
            }
            if (!stop[i][j]) {
                acc[i][j] += typename CFG::acc_t(sum) << shift;
            }
        }
    }
}

}  // namespace frac

#endif  // FRAC_TILE_H
