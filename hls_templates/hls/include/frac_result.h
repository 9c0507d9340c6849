// fracfpga static HLS header: the result stage of the dataflow kernel.
//
// C is row-major and the stop mask is rows of ceil(N/8) bytes, so the bytes of a row block are
// contiguous only once every column block of it is done. The stage collects a row block's
// outputs in an on-chip row buffer (OUT_COLS columns), then streams its rows in address order
// through two packers, one for C (a value of 4 or 8 bytes a cycle) and then one for the mask
// (eight stop bits a cycle, rows padded to bytes), each writing at most one whole beat a cycle
// (two loops, so the one AXI master never takes two writes in a cycle). No beat is read: the only
// beats that may hold another buffer's bytes are the first and the last of C and of MASK,
// handed back as edges for the walker to merge after the pass.
//
// A pass wider than the row buffer goes through it in column slices (OUT_COLS / TN column
// blocks each); then every row of the row block keeps its own packers across the slices, and
// the partial beats where one row ends and the next begins are joined on chip into whole beats.
#ifndef FRAC_RESULT_H
#define FRAC_RESULT_H

#include "frac_burst.h"
#include "frac_execute.h"
#include "frac_plan.h"
#include "frac_types.h"

namespace frac {

// The four edges of a pass: first and last beat of C and of MASK.
struct pass_edges {
    edge c_head, c_tail, mask_head, mask_tail;
};

// Two partial beats of adjacent rows (the tail of one, the head of the next) make one whole
// beat: write it (nothing when the rows meet on a beat boundary).
inline void join_rows(word_t *mem, const edge &tail, const edge &head) {
#pragma HLS INLINE
    if ((tail.strobe | head.strobe) != 0) {
        mem[head.beat] = tail.data | head.data;
    }
}

template <class CFG>
void result(word_t *mem, const pass_plan<CFG> &p, hls::stream<out_row<CFG> > &in,
            pass_edges &edges) {
    const unsigned tc_steps = TC_STEPS;
    (void)tc_steps;  // read by a loop_tripcount pragma only
    const unsigned tc_values = CFG::TM * CFG::OUT_COLS;
    (void)tc_values;  // read by a loop_tripcount pragma only
    static_assert(CFG::OUT_COLS / CFG::TN * CFG::TN >= 64,
                  "a slice (whole column blocks) must hold 64 columns: a sliced mask row then "
                  "spans 8 bytes or more");
    if (p.dry) {
        return;  // the prefix sweep writes nothing (execute sends no rows)
    }
    const unsigned slice_blocks = CFG::OUT_COLS / CFG::TN;  // column blocks in the row buffer
    // stop bits: TN written a cycle from a block's rows, eight read a cycle for the mask
    const unsigned stop_banks = CFG::TN > 8 ? CFG::TN : 8;
    (void)stop_banks;  // read by an ARRAY_PARTITION pragma only
    static ap_int<64> values[CFG::TM][CFG::OUT_COLS];
    static bool stops[CFG::TM][CFG::OUT_COLS + 8];
#pragma HLS ARRAY_PARTITION variable=values complete dim=1
#pragma HLS ARRAY_PARTITION variable=values cyclic factor=CFG::TN dim=2
#pragma HLS ARRAY_PARTITION variable=stops complete dim=1
#pragma HLS ARRAY_PARTITION variable=stops cyclic factor=stop_banks dim=2
    const unsigned value_bits = p.d.c64 ? 64 : 32;
    const uint64_t c_row = uint64_t(p.d.n) * (value_bits / 8);
    const uint64_t mask_row = ceil_div(p.d.n, 8);
    const bool sliced = p.blocks_n > slice_blocks;
    // One pair of packers for the whole pass, or (sliced) one pair per row of the row block;
    // rows of a sliced pass have more than 64 columns, so no beat holds bytes of 3 rows.
    bit_packer cp[CFG::TM];
    bit_packer mp[CFG::TM];
#pragma HLS ARRAY_PARTITION variable=cp complete dim=1
#pragma HLS ARRAY_PARTITION variable=mp complete dim=1
    packer_open(cp[0], p.d.c_addr);
    packer_open(mp[0], p.d.mask_addr);
    edge c_carry = cp[0].head;
    edge m_carry = mp[0].head;

    step_cursor c;
    cursor_start(c);
    for (uint64_t t = 0; t < p.steps; ++t) {
#pragma HLS loop_tripcount min=1 max=tc_steps
        const step_info st = step_of<CFG>(p, c);
        const uint64_t rows = min_u64(CFG::TM, p.d.m - c.bm * CFG::TM);
        const uint64_t slice = c.bn / slice_blocks;
        const uint64_t col0 = slice * slice_blocks * CFG::TN;  // first column of the slice
        const uint64_t col1 = min_u64(col0 + slice_blocks * CFG::TN, p.d.n);
        if (st.last) {
            const uint64_t at = (c.bn - slice * slice_blocks) * CFG::TN;
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS PIPELINE II=1
                if (i < rows) {
                    const out_row<CFG> r = in.read();
                    for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                        values[i][at + j] = r.v[j];  // at + j < slice_blocks * TN <= OUT_COLS
                        stops[i][at + j] = r.stop[j];
                    }
                }
            }
        }
        const bool flush = st.last && (c.bn + 1 == p.blocks_n || (c.bn + 1) % slice_blocks == 0);
        if (flush && sliced && col0 == 0) {  // a new row block: one packer pair per row
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
                const uint64_t row = c.bm * CFG::TM + i;
                packer_open(cp[i], p.d.c_addr + row * c_row);
                packer_open(mp[i], p.d.mask_addr + row * mask_row);
            }
        }
        if (flush) {  // the rows' columns [col0, col1) are complete: write them in order
            const uint64_t width = col1 - col0;
            const uint64_t groups = ceil_div(width, 8);  // mask bits go in bytes
            uint64_t i = 0;
            uint64_t j = 0;
            for (uint64_t n = 0; n < rows * width; ++n) {  // C: one value a cycle
#pragma HLS loop_tripcount min=1 max=tc_values
#pragma HLS PIPELINE II=1
                packer_put(mem, cp[sliced ? i : 0], ap_uint<64>(values[i][j]), value_bits);
                if (j + 1 == width) {
                    j = 0;
                    i += 1;
                } else {
                    j += 1;
                }
            }
            i = 0;
            uint64_t g = 0;
            for (uint64_t n = 0; n < rows * groups; ++n) {  // MASK: eight stop bits a cycle
#pragma HLS loop_tripcount min=1 max=tc_values
#pragma HLS PIPELINE II=1
                ap_uint<8> bits = 0;
                for (unsigned b = 0; b < 8; ++b) {
#pragma HLS UNROLL
                    bits[b] = 8 * g + b < width && stops[i][8 * g + b] ? 1 : 0;
                }
                const unsigned nbits = unsigned(min_u64(8, width - 8 * g));
                packer_put(mem, mp[sliced ? i : 0], bits, nbits);
                if (g + 1 == groups) {
                    if (col1 == p.d.n) {
                        packer_pad_byte(mem, mp[sliced ? i : 0]);  // the end of a mask row
                    }
                    g = 0;
                    i += 1;
                } else {
                    g += 1;
                }
            }
        }
        if (flush && sliced && col1 == p.d.n) {  // the row block is done: join its rows
            for (unsigned i = 0; i < CFG::TM; ++i) {
                if (i < rows) {
                    if (c.bm == 0 && i == 0) {
                        c_carry = cp[0].head;
                        m_carry = mp[0].head;
                        edges.c_head = cp[0].head;
                        edges.mask_head = mp[0].head;
                    } else {
                        join_rows(mem, c_carry, cp[i].head);
                        join_rows(mem, m_carry, mp[i].head);
                    }
                    c_carry = packer_close(cp[i]);
                    m_carry = packer_close(mp[i]);
                }
            }
        }
        cursor_next<CFG>(p, c);
    }
    if (sliced) {
        edges.c_tail = c_carry;
        edges.mask_tail = m_carry;
    } else {
        edges.c_head = cp[0].head;
        edges.c_tail = packer_close(cp[0]);
        edges.mask_head = mp[0].head;
        edges.mask_tail = packer_close(mp[0]);
    }
}

}  // namespace frac

#endif  // FRAC_RESULT_H
