// fracfpga static HLS header: basic types of the recursive digit array.
//
// Every other frac_*.h includes this one; it is the only place that includes ap_int.h. The
// Xilinx ap_types read a member before writing it in their default constructors, which g++
// reports as -W(maybe-)uninitialized at every use once inlined, and their bit-range loops trip
// -Waggressive-loop-optimizations on paths g++ cannot rule out; the diagnostic push/pop below
// silences exactly those vendor lines and leaves the project's own code fully warned.
#ifndef FRAC_TYPES_H
#define FRAC_TYPES_H

#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Waggressive-loop-optimizations"
#endif
#include "ap_int.h"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace frac {

// One beat of the m_axi port: eight bytes of the DDR window, little-endian byte lanes.
typedef ap_uint<64> word_t;
// Byte offset inside the DDR window (descriptor fields are 32-bit, products of them are not).
typedef uint64_t addr_t;
// A raw 2-bit digit pattern as it leaves the operand buffer.
typedef ap_uint<2> digit_t;
// A digit extended by its sign-mode bit: [-2, 1] (signed top digit) or [0, 3].
typedef ap_int<3> brick_in_t;
// One brick product: [-6, 9].
typedef ap_int<5> brick_out_t;
// A code as the operand buffers hold it: its two's-complement bits (up to 16).
typedef ap_uint<16> code_t;

// Bits needed to hold the unsigned value v (0 for v == 0); a bounded loop, usable in constants.
constexpr unsigned bits_for(unsigned long long v) {
    unsigned n = 0;
    for (unsigned i = 0; i < 64; ++i) {
        if ((v >> i) != 0) {
            n = i + 1;
        }
    }
    return n;
}

// ceil(x / y) for positive y.
inline uint64_t ceil_div(uint64_t x, uint64_t y) { return (x + y - 1) / y; }

inline uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

}  // namespace frac

#endif  // FRAC_TYPES_H
