// fracfpga static HLS header: operand digits and the 2b x 2b brick.
//
// A b-bit code splits into D = ceil(b/2) digits, most significant first (p = 0 is the top
// digit). An odd width is padded at the bottom (a 3-bit x becomes x << 1), so the top digit
// always holds the top real bits. A digit is a raw 2-bit field of the padded two's-complement
// code; the brick decodes it with a sign-mode bit: signed [-2, 1] for the top digit of a signed
// operand, unsigned [0, 3] otherwise. Same definition as fpga_model/digits.py and reference.py.
#ifndef FRAC_DIGITS_H
#define FRAC_DIGITS_H

#include "frac_types.h"

namespace frac {

// D: digits of a b-bit operand.
inline unsigned num_digits(unsigned bits) {
#pragma HLS INLINE
    return (bits + 1) / 2;
}

// Zero bits appended at the bottom so the width is a whole number of digits (0 or 1).
inline unsigned pad_bits(unsigned bits) {
#pragma HLS INLINE
    return 2 * num_digits(bits) - bits;
}

// Raw pattern of digit p (0 = top) of a code of `digits` digits padded by `pad` bits.
inline digit_t digit_of(code_t code, unsigned digits, unsigned pad, unsigned p) {
#pragma HLS INLINE
    const ap_uint<18> padded = ap_uint<18>(code) << pad;
    const unsigned lsb = 2 * (digits - 1 - p);
    return padded.range(lsb + 1, lsb);
}

// Digit `lane` (0..15) of a 32-bit digit-plane word. In the bottom plane of an odd width
// (bottom_pad) bit 0 of every digit is the pad bit and reads as 0, whatever DDR holds there.
inline digit_t plane_digit(ap_uint<32> w, unsigned lane, bool bottom_pad) {
#pragma HLS INLINE
    digit_t x = w.range(2 * lane + 1, 2 * lane);
    if (bottom_pad) {
        x[0] = 0;
    }
    return x;
}

// A digit pattern as the brick sees it: two's complement in sign mode, else unsigned.
inline brick_in_t brick_value(digit_t x, bool sign_mode) {
#pragma HLS INLINE
    brick_in_t v = x;
    if (sign_mode && x[1]) {
        v = brick_in_t(x) - 4;
    }
    return v;
}

// One brick: the product of two decoded digits, in [-6, 9].
inline brick_out_t brick_product(digit_t x, digit_t y, bool x_signed, bool y_signed) {
#pragma HLS INLINE
    return brick_value(x, x_signed) * brick_value(y, y_signed);
}

}  // namespace frac

#endif  // FRAC_DIGITS_H
