// fracfpga static HLS header: the descriptor of one GEMM pass, decoded and checked.
//
// The layout (word index of every field, flag bits, pass values) comes from the config struct
// (CFG::WORD_*, CFG::FLAG_*, CFG::NUM_PASSES), rendered from fpga_model/descriptor.py. The
// checks and their codes (CFG::ERR_*, rendered from ERRORS) follow fpga_model/kernel.py: the
// walker refuses the first descriptor that fails one, in the order of the codes.
#ifndef FRAC_DESCRIPTOR_H
#define FRAC_DESCRIPTOR_H

#include "frac_burst.h"
#include "frac_digits.h"
#include "frac_types.h"

namespace frac {

// Bits 7:0 of the pass_layer word hold the pass; bits 31:8 the layer id.
const unsigned PASS_FIELD_MASK = 0xFF;

// One descriptor, decoded from its words.
struct descriptor {
    unsigned pass;
    unsigned layer;
    unsigned a_bits;
    unsigned b_bits;
    bool a_signed;
    bool b_signed;
    bool early_stop;
    bool c64;  // C holds int64 values (else int32)
    unsigned stop_ring;
    unsigned prefix_p;  // asymmetric prefix: top prefix_p digits of A x top prefix_q of B
    unsigned prefix_q;  // (0, 0): the symmetric stop ring
    bool tau_rel;       // tau holds beta * TAU_REL_ONE, relative to the prefix maximum
    uint64_t tau;
    unsigned m;
    unsigned n;
    unsigned k;
    addr_t a_addr;
    addr_t b_addr;
    addr_t c_addr;
    addr_t mask_addr;
    addr_t stat_addr;
};

// Read and decode the descriptor at byte offset addr: DESC_BYTES / 8 + 1 whole beats, one per
// cycle, realigned on chip (the descriptor may start at any byte).
template <class CFG>
descriptor read_descriptor(const word_t *mem, addr_t addr) {
    const unsigned nwords = CFG::DESC_BYTES / 4;
    ap_uint<32> w[nwords + 2];
#pragma HLS ARRAY_PARTITION variable=w complete dim=1
    const uint64_t first = addr >> 3;
    const unsigned shift = 8 * unsigned(addr & 7);
    word_t prev = 0;
    for (unsigned t = 0; t < CFG::DESC_BYTES / 8 + 1; ++t) {
#pragma HLS PIPELINE II=1
        const word_t cur = mem[first + t];
        if (t > 0) {
            const word_t pair = realign(prev, cur, shift);
            w[2 * t - 2] = pair.range(31, 0);
            w[2 * t - 1] = pair.range(63, 32);
        }
        prev = cur;
    }
    descriptor d;
    const unsigned flags = w[CFG::WORD_FLAGS];
    const unsigned pass_layer = w[CFG::WORD_PASS_LAYER];
    d.pass = pass_layer & PASS_FIELD_MASK;
    d.layer = pass_layer >> 8;
    d.a_bits = w[CFG::WORD_A_BITS];
    d.b_bits = w[CFG::WORD_B_BITS];
    d.a_signed = (flags & CFG::FLAG_A_SIGNED) != 0;
    d.b_signed = (flags & CFG::FLAG_B_SIGNED) != 0;
    d.early_stop = (flags & CFG::FLAG_EARLY_STOP) != 0;
    d.c64 = (flags & CFG::FLAG_C64) != 0;
    d.stop_ring = w[CFG::WORD_STOP_RING];
    d.prefix_p = w[CFG::WORD_PREFIX] & 0xFFu;
    d.prefix_q = (w[CFG::WORD_PREFIX] >> 8) & 0xFFu;
    d.tau_rel = (flags & CFG::FLAG_TAU_REL) != 0;
    d.tau = (uint64_t(w[CFG::WORD_TAU_HI]) << 32) | uint64_t(w[CFG::WORD_TAU_LO]);
    d.m = w[CFG::WORD_M];
    d.n = w[CFG::WORD_N];
    d.k = w[CFG::WORD_K];
    d.a_addr = w[CFG::WORD_A_ADDR];
    d.b_addr = w[CFG::WORD_B_ADDR];
    d.c_addr = w[CFG::WORD_C_ADDR];
    d.mask_addr = w[CFG::WORD_MASK_ADDR];
    d.stat_addr = w[CFG::WORD_STAT_ADDR];
    return d;
}

// Whether the generated hardware supports operands of this width (CFG::BITS_MASK has bit b).
template <class CFG>
bool width_supported(unsigned bits) {
#pragma HLS INLINE
    return bits <= CFG::MAX_BITS && ((CFG::BITS_MASK >> bits) & 1) != 0;
}

// Digits (p, q) of A and B the early-stop prefix keeps (fpga_model.digits.prefix_keep): the
// asymmetric prefix word, else the symmetric stop ring's min(stop_ring + 1, D); (D_a, D_b)
// without early stop.
inline void prefix_keep(const descriptor &d, unsigned da, unsigned db, unsigned &p, unsigned &q) {
#pragma HLS INLINE
    if (!d.early_stop) {
        p = da;
        q = db;
    } else if (d.prefix_p != 0 || d.prefix_q != 0) {
        p = d.prefix_p;
        q = d.prefix_q;
    } else {
        p = d.stop_ring + 1 < da ? d.stop_ring + 1 : da;
        q = d.stop_ring + 1 < db ? d.stop_ring + 1 : db;
    }
}

// Error code of a descriptor's fields (ERR_OK when the kernel accepts them); no operand access.
template <class CFG>
unsigned check_descriptor(const descriptor &d) {
    if (d.pass >= CFG::NUM_PASSES) {
        return CFG::ERR_PASS;
    }
    if (!width_supported<CFG>(d.a_bits)) {
        return CFG::ERR_A_BITS;
    }
    if (!width_supported<CFG>(d.b_bits)) {
        return CFG::ERR_B_BITS;
    }
    if (d.m == 0 || d.n == 0) {
        return CFG::ERR_SHAPE;
    }
    if (d.k == 0 || d.k > CFG::MAX_K) {
        return CFG::ERR_K;
    }
    if (d.early_stop) {
        const unsigned da = num_digits(d.a_bits);
        const unsigned db = num_digits(d.b_bits);
        const unsigned rings = da > db ? da : db;
        const bool asym = d.prefix_p != 0 || d.prefix_q != 0;
        const bool bad = asym ? (d.prefix_p == 0 || d.prefix_p > da || d.prefix_q == 0 ||
                                 d.prefix_q > db)
                              : d.stop_ring >= rings;
        const bool bad_tau = d.tau_rel ? d.tau > CFG::TAU_REL_ONE : (d.tau >> 63) != 0;
        if (bad || bad_tau) {
            return CFG::ERR_EARLY_STOP;
        }
    }
    if (!d.c64 && d.a_bits + d.b_bits + bits_for(d.k) > CFG::C32_MAX_BITS) {
        return CFG::ERR_C32;  // int32 results cannot hold this pair and K
    }
    return CFG::ERR_OK;
}

}  // namespace frac

#endif  // FRAC_DESCRIPTOR_H
