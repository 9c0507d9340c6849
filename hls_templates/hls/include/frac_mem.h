// fracfpga static HLS header: byte-addressed access to the DDR window through 64-bit beats.
//
// The DDR image (fpga_model/memory.py, memory contract v2) mixes 32-bit descriptor words,
// 32-bit digit-plane words of the operands, 32- or 64-bit outputs, 64-bit statistics and
// packed stop-mask bits, all little-endian, at any byte offset a descriptor names. The kernel sees one m_axi port of 64-bit beats; these helpers turn
// a byte offset into beat reads and read-modify-write beats. An access that sits inside one beat
// costs one beat; a misaligned one falls back to byte lanes (correct, slower).
#ifndef FRAC_MEM_H
#define FRAC_MEM_H

#include "frac_types.h"

namespace frac {

// Byte at offset a.
inline ap_uint<8> mem_read_byte(const word_t *mem, addr_t a) {
#pragma HLS INLINE
    const word_t w = mem[a >> 3];
    const unsigned lane = (unsigned)(a & 7);
    return w.range(8 * lane + 7, 8 * lane);
}

// Little-endian W-bit value (W = 8, 16, 32 or 64) at byte offset a.
template <int W>
ap_uint<W> mem_read(const word_t *mem, addr_t a) {
#pragma HLS INLINE
    const unsigned nbytes = W / 8;
    const unsigned lane = (unsigned)(a & 7);
    ap_uint<W> v = 0;
    if (lane + nbytes <= 8) {
        const word_t w = mem[a >> 3];
        v = w.range(8 * lane + W - 1, 8 * lane);
    } else {
        for (unsigned b = 0; b < W / 8; ++b) {
            v |= ap_uint<W>(mem_read_byte(mem, a + b)) << (8 * b);
        }
    }
    return v;
}

// Write the little-endian W-bit value v at byte offset a (other bytes of the beat unchanged).
template <int W>
void mem_write(word_t *mem, addr_t a, ap_uint<W> v) {
#pragma HLS INLINE
    const unsigned nbytes = W / 8;
    const unsigned lane = (unsigned)(a & 7);
    if (nbytes == 8 && lane == 0) {
        mem[a >> 3] = v;
    } else if (lane + nbytes <= 8) {
        word_t w = mem[a >> 3];
        w.range(8 * lane + W - 1, 8 * lane) = v;
        mem[a >> 3] = w;
    } else {
        for (unsigned b = 0; b < W / 8; ++b) {
            const addr_t ab = a + b;
            const unsigned lb = (unsigned)(ab & 7);
            word_t w = mem[ab >> 3];
            w.range(8 * lb + 7, 8 * lb) = v.range(8 * b + 7, 8 * b);
            mem[ab >> 3] = w;
        }
    }
}

// Set or clear bit `bit` of the byte at offset a (the packed stop mask).
inline void mem_write_bit(word_t *mem, addr_t a, unsigned bit, bool v) {
#pragma HLS INLINE
    ap_uint<8> byte = mem_read<8>(mem, a);
    byte[bit] = v ? 1 : 0;
    mem_write<8>(mem, a, byte);
}

}  // namespace frac

#endif  // FRAC_MEM_H
