// fracfpga static HLS header: the DDR window as whole 64-bit beats (memory contract v2).
//
// Buffers may start at any byte offset a descriptor names, so the kernel never reads or writes
// a single code or value: it reads whole beats in bursts and realigns them on chip
// (burst_pairs), and writes whole beats that a packer (bit_packer) assembles from a stream of
// values. Only the first and last beat of a buffer can hold bytes of a neighbour; the packer
// hands those two back as edges, and merge_edge writes them once per buffer and pass, after
// the dataflow region (the only read-then-write of the window, never inside a loop).
#ifndef FRAC_BURST_H
#define FRAC_BURST_H

#include "frac_types.h"
#include "hls_stream.h"

namespace frac {

// Estimate for HLS latency reports only (one burst is at most this many beats); bounds nothing.
const unsigned TC_BURST_BEATS = 1024;

// Beats that hold the bytes [addr, addr + nbytes), nbytes > 0.
inline uint64_t beats_of(addr_t addr, uint64_t nbytes) {
#pragma HLS INLINE
    return ((addr + nbytes - 1) >> 3) - (addr >> 3) + 1;
}

// The eight bytes that start `shift` bits into the pair of beats (lo, hi).
inline word_t realign(word_t lo, word_t hi, unsigned shift) {
#pragma HLS INLINE
    const ap_uint<128> both = (ap_uint<128>(hi) << 64) | ap_uint<128>(lo);
    return word_t(both >> shift);
}

// Burst the nwords 32-bit words at byte offset addr into `out`, two per entry (word 2t in bits
// 31:0, word 2t+1 in bits 63:32; the second half of the last entry is junk when nwords is odd).
// One beat per cycle, contiguous, no per-word address arithmetic.
inline void burst_pairs(const word_t *mem, addr_t addr, uint64_t nwords, hls::stream<word_t> &out) {
    const uint64_t first = addr >> 3;
    const unsigned shift = 8 * unsigned(addr & 7);
    const uint64_t nbeats = beats_of(addr, 4 * nwords);
    word_t prev = 0;
    for (uint64_t t = 0; t < nbeats; ++t) {
#pragma HLS loop_tripcount min=1 max=TC_BURST_BEATS
#pragma HLS PIPELINE II=1
        const word_t cur = mem[first + t];
        if (t > 0) {
            out.write(realign(prev, cur, shift));
        }
        prev = cur;
    }
    if (nbeats - 1 < ceil_div(nwords, 2)) {
        out.write(realign(prev, 0, shift));  // the tail pair lies in the last beat alone
    }
}

// A beat that belongs only partly to a buffer: its address, the buffer's bytes in it and which
// bytes those are (strobe bit b = byte b). strobe 0 means no edge.
struct edge {
    uint64_t beat;
    word_t data;
    ap_uint<8> strobe;
};

// Assembles a buffer's bytes, written in address order, into whole beats. Values of up to 64
// bits go in at bit granularity (the stop mask is packed bits), so `fill` counts bits.
struct bit_packer {
    ap_uint<128> buf;  // pending bits, bit 0 = bit `fill0` of beat `beat`
    unsigned fill;     // pending bits, including the bytes before the buffer in its first beat
    unsigned start;    // byte lane of the buffer's first byte
    uint64_t beat;     // beat index of buf's bit 0
    bool first;        // buf still holds the buffer's first beat
    edge head;         // the first beat, when the buffer starts inside it
};

inline void packer_open(bit_packer &p, addr_t addr) {
#pragma HLS INLINE
    p.buf = 0;
    p.start = unsigned(addr & 7);
    p.fill = 8 * p.start;
    p.beat = addr >> 3;
    p.first = true;
    p.head.beat = 0;
    p.head.data = 0;
    p.head.strobe = 0;
}

// Append the low nbits (1..64) of v; write the beat out when it is full (the first beat of an
// unaligned buffer becomes the head edge instead).
inline void packer_put(word_t *mem, bit_packer &p, ap_uint<64> v, unsigned nbits) {
#pragma HLS INLINE
    const ap_uint<128> bits = ap_uint<128>(v) & ((ap_uint<128>(1) << nbits) - 1);
    p.buf |= bits << p.fill;
    p.fill += nbits;
    if (p.fill >= 64) {
        const word_t w = p.buf.range(63, 0);
        if (p.first && p.start != 0) {
            p.head.beat = p.beat;
            p.head.data = w;
            p.head.strobe = ap_uint<8>(0xFF) << p.start;
        } else {
            mem[p.beat] = w;
        }
        p.first = false;
        p.buf >>= 64;
        p.fill -= 64;
        p.beat += 1;
    }
}

// Zero bits up to the next byte boundary (the end of a stop-mask row).
inline void packer_pad_byte(word_t *mem, bit_packer &p) {
#pragma HLS INLINE
    const unsigned rest = (8 - (p.fill & 7)) & 7;
    if (rest != 0) {
        packer_put(mem, p, 0, rest);
    }
}

// The last, partly filled beat (the tail edge; strobe 0 when the buffer ends on a beat).
inline edge packer_close(const bit_packer &p) {
#pragma HLS INLINE
    edge e;
    e.beat = p.beat;
    e.data = p.buf.range(63, 0);
    const ap_uint<8> upto = (ap_uint<9>(1) << (p.fill / 8)) - 1;
    e.strobe = p.first ? ap_uint<8>(upto & (ap_uint<8>(0xFF) << p.start)) : upto;
    return e;
}

// Write an edge's bytes into its beat, keeping the neighbour's bytes.
inline void merge_edge(word_t *mem, const edge &e) {
#pragma HLS INLINE
    if (e.strobe != 0) {
        word_t w = mem[e.beat];
        for (unsigned b = 0; b < 8; ++b) {
#pragma HLS UNROLL
            if (e.strobe[b]) {
                w.range(8 * b + 7, 8 * b) = e.data.range(8 * b + 7, 8 * b);
            }
        }
        mem[e.beat] = w;
    }
}

}  // namespace frac

#endif  // FRAC_BURST_H
