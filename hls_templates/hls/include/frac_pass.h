// fracfpga static HLS header: one GEMM pass on the tile array, with its counters.
//
// The array works output block by output block (TM x TN outputs, row-major over the blocks).
// For a block it walks the schedule's rings MSB-first; inside a ring it fetches each K chunk
// (BRICKS reduction indices) once and issues the ring's digit pairs on it, one pair per cycle.
// With early termination it checks after the stop ring whether |partial| >= tau for every valid
// output of the block; stopped outputs keep that partial, and the block skips its remaining
// rings only when all of them stopped (the lockstep group is the block).
//
// The counters are counted, not computed: one engine cycle per issued (pair, chunk), the fixed
// costs CFG::DESC_CYCLES, CFG::BLOCK_CYCLES and CFG::ET_CHECK_CYCLES where the walker spends
// them. They equal fpga_model/cycles.py pass_counters.
#ifndef FRAC_PASS_H
#define FRAC_PASS_H

#include "frac_descriptor.h"
#include "frac_digits.h"
#include "frac_mem.h"
#include "frac_planes.h"
#include "frac_schedule.h"
#include "frac_tile.h"
#include "frac_types.h"

namespace frac {

// Estimates for HLS latency reports only (loops with run-time bounds); they bound nothing.
const unsigned TC_MAX_BLOCKS = 256;
const unsigned TC_MAX_DESCRIPTORS = 256;

// Per-descriptor counters, as in the STAT record.
struct counters {
    uint64_t cycles;          // engine cycles, fixed costs included
    uint64_t digit_products;  // brick digit products on valid operands
    uint64_t tile_cycles;     // active tiles x compute cycles
    uint64_t stopped;         // outputs that stopped early
};

// Fetch one K chunk of a block: A rows [row0, row0 + TM), B columns [col0, col0 + TN),
// reduction indices [k0, k0 + BRICKS); lanes outside the GEMM read as code 0 (a zero digit).
template <class CFG>
void load_chunk(const word_t *mem, const descriptor &d, uint64_t row0, uint64_t col0,
                uint64_t k0, code_t a[CFG::TM][CFG::BRICKS], code_t b[CFG::BRICKS][CFG::TN]) {
    for (unsigned i = 0; i < CFG::TM; ++i) {
        for (unsigned l = 0; l < CFG::BRICKS; ++l) {
#pragma HLS PIPELINE II=1
            const uint64_t row = row0 + i;
            const uint64_t kk = k0 + l;
            code_t v = 0;
            if (row < d.m && kk < d.k) {
                v = read_plane_code<CFG>(mem, d.a_addr, row, kk, d.k, d.a_bits, d.a_signed);
            }
            a[i][l] = v;
        }
    }
    for (unsigned l = 0; l < CFG::BRICKS; ++l) {
        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS PIPELINE II=1
            const uint64_t kk = k0 + l;
            const uint64_t col = col0 + j;
            code_t v = 0;
            if (kk < d.k && col < d.n) {
                v = read_plane_code<CFG>(mem, d.b_addr, col, kk, d.k, d.b_bits, d.b_signed);
            }
            b[l][j] = v;
        }
    }
}

// Run the pass described by d; add its cycles and products to c; write C (int32, or int64 with
// the c64 flag) and the packed stop mask (rows of ceil(N/8) bytes, output j at bit j%8).
template <class CFG>
void run_pass(word_t *mem, const descriptor &d, counters &c) {
    typedef typename CFG::acc_t acc_t;
    const unsigned tc_chunks = (CFG::MAX_K + CFG::BRICKS - 1) / CFG::BRICKS;
    (void)tc_chunks;  // read by a loop_tripcount pragma only
    const unsigned tc_blocks = TC_MAX_BLOCKS;
    (void)tc_blocks;  // read by a loop_tripcount pragma only
    const unsigned tc_rings = CFG::MAX_DIGITS;
    (void)tc_rings;  // read by a loop_tripcount pragma only
    const unsigned tc_ring_pairs = 2 * CFG::MAX_DIGITS - 1;
    (void)tc_ring_pairs;  // read by a loop_tripcount pragma only

    schedule<CFG> s;
    build_schedule<CFG>(num_digits(d.a_bits), num_digits(d.b_bits), s);
    operand_mode ma;
    ma.digits = num_digits(d.a_bits);
    ma.pad = pad_bits(d.a_bits);
    ma.is_signed = d.a_signed;
    operand_mode mb;
    mb.digits = num_digits(d.b_bits);
    mb.pad = pad_bits(d.b_bits);
    mb.is_signed = d.b_signed;
    const unsigned unpad = ma.pad + mb.pad;  // the output shift that undoes the padding

    const uint64_t blocks_m = ceil_div(d.m, CFG::TM);
    const uint64_t blocks_n = ceil_div(d.n, CFG::TN);
    const uint64_t chunks = ceil_div(d.k, CFG::BRICKS);

    acc_t acc[CFG::TM][CFG::TN];
    acc_t partial[CFG::TM][CFG::TN];
    bool stop[CFG::TM][CFG::TN];
    code_t a[CFG::TM][CFG::BRICKS];
    code_t b[CFG::BRICKS][CFG::TN];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
#pragma HLS ARRAY_PARTITION variable=partial complete dim=0
#pragma HLS ARRAY_PARTITION variable=stop complete dim=0
#pragma HLS ARRAY_PARTITION variable=a complete dim=0
#pragma HLS ARRAY_PARTITION variable=b complete dim=0

    for (uint64_t bm = 0; bm < blocks_m; ++bm) {
#pragma HLS loop_tripcount min=1 max=tc_blocks
        for (uint64_t bn = 0; bn < blocks_n; ++bn) {
#pragma HLS loop_tripcount min=1 max=tc_blocks
            const uint64_t row0 = bm * CFG::TM;
            const uint64_t col0 = bn * CFG::TN;
            const uint64_t rows = min_u64(CFG::TM, d.m - row0);
            const uint64_t cols = min_u64(CFG::TN, d.n - col0);
            const uint64_t valid = rows * cols;  // tiles holding a real output
            c.cycles += CFG::BLOCK_CYCLES;
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
                for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                    acc[i][j] = 0;
                    partial[i][j] = 0;
                    stop[i][j] = false;
                }
            }

            for (unsigned r = 0; r < s.rings; ++r) {
#pragma HLS loop_tripcount min=1 max=tc_rings
                for (uint64_t ch = 0; ch < chunks; ++ch) {
#pragma HLS loop_tripcount min=1 max=tc_chunks
                    const uint64_t k0 = ch * CFG::BRICKS;
                    const uint64_t lanes = min_u64(CFG::BRICKS, d.k - k0);
                    load_chunk<CFG>(mem, d, row0, col0, k0, a, b);
                    for (unsigned q = s.ring_begin[r]; q < s.ring_begin[r + 1]; ++q) {
#pragma HLS loop_tripcount min=1 max=tc_ring_pairs
#pragma HLS PIPELINE II=1
                        array_step<CFG>(a, b, ma, mb, s.pa[q], s.pb[q], s.shift[q], acc);
                        c.cycles += 1;
                        c.tile_cycles += valid;
                        c.digit_products += valid * lanes;
                    }
                }
                if (d.early_stop && r == d.stop_ring) {
                    c.cycles += CFG::ET_CHECK_CYCLES;
                    bool all_stopped = true;
                    for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
                        for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                            const acc_t p = acc[i][j] >> unpad;
                            const acc_t mag = p < 0 ? acc_t(-p) : p;
                            const bool in_block = i < rows && j < cols;
                            const bool hit = in_block && mag.to_uint64() >= d.tau;
                            partial[i][j] = p;
                            stop[i][j] = hit;
                            if (hit) {
                                c.stopped += 1;
                            }
                            if (in_block && !hit) {
                                all_stopped = false;
                            }
                        }
                    }
                    if (all_stopped) {
                        break;  // the whole block stopped: skip its remaining rings
                    }
                }
            }

            for (unsigned i = 0; i < CFG::TM; ++i) {
                for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS PIPELINE II=1
                    if (i < rows && j < cols) {
                        const uint64_t at = (row0 + i) * d.n + (col0 + j);
                        const acc_t out = stop[i][j] ? partial[i][j] : acc_t(acc[i][j] >> unpad);
                        const ap_int<64> value = out;
                        if (d.c64) {
                            mem_write<64>(mem, d.c_addr + 8 * at, ap_uint<64>(value));
                        } else {
                            mem_write<32>(mem, d.c_addr + 4 * at, ap_uint<32>(value));
                        }
                        const uint64_t col = col0 + j;
                        mem_write_bit(mem, d.mask_addr + (row0 + i) * ceil_div(d.n, 8) + col / 8,
                                      unsigned(col % 8), stop[i][j]);
                    }
                }
            }
        }
    }
}

}  // namespace frac

#endif  // FRAC_PASS_H
