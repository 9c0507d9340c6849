// fracfpga static HLS header: the descriptor of one GEMM pass, decoded and checked.
//
// The layout (word index of every field, flag bits, pass values) comes from the config struct
// (CFG::WORD_*, CFG::FLAG_*, CFG::NUM_PASSES), rendered from fpga_model/descriptor.py. The
// checks and their codes follow fpga_model/kernel.py: the walker refuses the first descriptor
// that fails one, in the order of the error codes below.
#ifndef FRAC_DESCRIPTOR_H
#define FRAC_DESCRIPTOR_H

#include "frac_digits.h"
#include "frac_mem.h"
#include "frac_types.h"

namespace frac {

// Why a descriptor is refused (the ERROR register); the values are ERROR_CODES of
// fpga_model/descriptor.py, checked in this order.
enum error_code {
    ERR_OK = 0,
    ERR_PASS = 1,         // pass is not FW, EB or GC
    ERR_A_BITS = 2,       // a_bits not in the generated set
    ERR_B_BITS = 3,       // b_bits not in the generated set
    ERR_SHAPE = 4,        // m or n is 0
    ERR_K = 5,            // k is 0 or larger than MAX_K
    ERR_EARLY_STOP = 6,   // stop_ring beyond the last ring of the pair, or tau >= 2^63
    ERR_CODE_RANGE = 7    // an A or B code is out of range for its width and signedness
};

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
    unsigned stop_ring;
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

// Read and decode the descriptor at byte offset addr.
template <class CFG>
descriptor read_descriptor(const word_t *mem, addr_t addr) {
    const unsigned nwords = CFG::DESC_BYTES / 4;
    ap_uint<32> w[nwords];
#pragma HLS ARRAY_PARTITION variable=w complete dim=1
    for (unsigned i = 0; i < CFG::DESC_BYTES / 4; ++i) {
#pragma HLS PIPELINE II=1
        w[i] = mem_read<32>(mem, addr + 4 * i);
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
    d.stop_ring = w[CFG::WORD_STOP_RING];
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

// Error code of a descriptor's fields (ERR_OK when the kernel accepts them); no operand access.
template <class CFG>
unsigned check_descriptor(const descriptor &d) {
    if (d.pass >= CFG::NUM_PASSES) {
        return ERR_PASS;
    }
    if (!width_supported<CFG>(d.a_bits)) {
        return ERR_A_BITS;
    }
    if (!width_supported<CFG>(d.b_bits)) {
        return ERR_B_BITS;
    }
    if (d.m == 0 || d.n == 0) {
        return ERR_SHAPE;
    }
    if (d.k == 0 || d.k > CFG::MAX_K) {
        return ERR_K;
    }
    if (d.early_stop) {
        const unsigned da = num_digits(d.a_bits);
        const unsigned db = num_digits(d.b_bits);
        const unsigned rings = da > db ? da : db;
        if (d.stop_ring >= rings || (d.tau >> 63) != 0) {
            return ERR_EARLY_STOP;
        }
    }
    return ERR_OK;
}

}  // namespace frac

#endif  // FRAC_DESCRIPTOR_H
