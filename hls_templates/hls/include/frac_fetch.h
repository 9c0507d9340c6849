// fracfpga static HLS header: the fetch stage of the dataflow kernel.
//
// Walks the pass's steps (frac_plan.h) and, where a step needs them, bursts the block's A rows
// and B columns for the step's K segment from DDR: each line's segment is D * planes
// contiguous plane words, read as whole beats at one per cycle and realigned into pairs of
// words (burst_pairs). Rows past M and columns past N are not fetched; nothing is checked
// per code (every digit-plane pattern is a legal code).
#ifndef FRAC_FETCH_H
#define FRAC_FETCH_H

#include "frac_burst.h"
#include "frac_plan.h"
#include "frac_types.h"

namespace frac {

template <class CFG>
void fetch(const word_t *mem, const pass_plan<CFG> &p, hls::stream<word_t> &a_out,
           hls::stream<word_t> &b_out) {
    const unsigned tc_steps = TC_STEPS;
    (void)tc_steps;  // read by a loop_tripcount pragma only
    step_cursor c;
    cursor_start(c);
    for (uint64_t t = 0; t < p.steps; ++t) {
#pragma HLS loop_tripcount min=1 max=tc_steps
        const step_info s = step_of<CFG>(p, c);
        const uint64_t seg_words = uint64_t(s.seg) * CFG::SEG_PLANES;
        const uint64_t planes = seg_planes<CFG>(p, s.seg);
        if (s.need_a) {
            const uint64_t rows = min_u64(CFG::TM, p.d.m - c.bm * CFG::TM);
            for (unsigned i = 0; i < CFG::TM; ++i) {
                if (i < rows) {
                    const uint64_t line = c.bm * CFG::TM + i;
                    burst_pairs(mem, p.d.a_addr + 4 * (line * p.a_line + seg_words * p.da),
                                planes * p.da, a_out);
                }
            }
        }
        if (s.need_b) {
            const uint64_t cols = min_u64(CFG::TN, p.d.n - c.bn * CFG::TN);
            for (unsigned j = 0; j < CFG::TN; ++j) {
                if (j < cols) {
                    const uint64_t line = c.bn * CFG::TN + j;
                    burst_pairs(mem, p.d.b_addr + 4 * (line * p.b_line + seg_words * p.db),
                                planes * p.db, b_out);
                }
            }
        }
        cursor_next<CFG>(p, c);
    }
}

}  // namespace frac

#endif  // FRAC_FETCH_H
