// fracfpga static HLS header: the result stage of the dataflow kernel.
//
// C is row-major and the stop mask is rows of ceil(N/8) bytes, so the bytes of a row block are
// contiguous only once every column block of it is done. The stage collects a row block's
// outputs in an on-chip row buffer (OUT_COLS columns), then streams its rows in address order
// through two packers, one for C (4 or 8 bytes a value) and one for the mask (a bit a value,
// rows padded to bytes), which write whole beats at one per cycle. No beat is read: the only
// beats that may hold another buffer's bytes are the first and the last of C and of MASK,
// handed back as edges for the walker to merge after the pass.
//
// A pass wider than OUT_COLS columns goes through the row buffer in column slices; a row of
// such a pass spans several beats, and each row keeps its own packer across the slices (see
// frac_pass.h, which cuts the slices).
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

template <class CFG>
void result(word_t *mem, const pass_plan<CFG> &p, hls::stream<out_row<CFG> > &in,
            pass_edges &edges) {
    const unsigned tc_steps = TC_STEPS;
    (void)tc_steps;  // read by a loop_tripcount pragma only
    const unsigned tc_values = CFG::TM * CFG::OUT_COLS;
    (void)tc_values;  // read by a loop_tripcount pragma only
    static ap_int<64> values[CFG::TM][CFG::OUT_COLS + CFG::TN];
    static bool stops[CFG::TM][CFG::OUT_COLS + CFG::TN];
#pragma HLS ARRAY_PARTITION variable=values complete dim=1
#pragma HLS ARRAY_PARTITION variable=values cyclic factor=CFG::TN dim=2
#pragma HLS ARRAY_PARTITION variable=stops complete dim=1
#pragma HLS ARRAY_PARTITION variable=stops cyclic factor=CFG::TN dim=2
    const unsigned value_bits = p.d.c64 ? 64 : 32;
    bit_packer cp;
    bit_packer mp;
    packer_open(cp, p.d.c_addr);
    packer_open(mp, p.d.mask_addr);

    step_cursor c;
    cursor_start(c);
    for (uint64_t t = 0; t < p.steps; ++t) {
#pragma HLS loop_tripcount min=1 max=tc_steps
        const step_info st = step_of<CFG>(p, c);
        const uint64_t rows = min_u64(CFG::TM, p.d.m - c.bm * CFG::TM);
        if (st.last) {
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS PIPELINE II=1
                if (i < rows) {
                    const out_row<CFG> r = in.read();
                    for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                        values[i][c.bn * CFG::TN + j] = r.v[j];
                        stops[i][c.bn * CFG::TN + j] = r.stop[j];
                    }
                }
            }
            if (c.bn + 1 == p.blocks_n) {  // the row block is complete: write its rows
                const uint64_t count = rows * p.d.n;
                uint64_t i = 0;
                uint64_t j = 0;
                for (uint64_t n = 0; n < count; ++n) {
#pragma HLS loop_tripcount min=1 max=tc_values
#pragma HLS PIPELINE II=1
                    packer_put(mem, cp, ap_uint<64>(values[i][j]), value_bits);
                    packer_put(mem, mp, stops[i][j] ? 1 : 0, 1);
                    if (j + 1 == p.d.n) {
                        packer_pad_byte(mem, mp);
                        j = 0;
                        i += 1;
                    } else {
                        j += 1;
                    }
                }
            }
        }
        cursor_next<CFG>(p, c);
    }
    edges.c_head = cp.head;
    edges.c_tail = packer_close(cp);
    edges.mask_head = mp.head;
    edges.mask_tail = packer_close(mp);
}

}  // namespace frac

#endif  // FRAC_RESULT_H
