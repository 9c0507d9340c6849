// fracfpga static HLS header: one GEMM pass as a DATAFLOW region of fetch -> execute -> result.
//
// The three stages run concurrently, connected by FIFOs (hls::stream): fetch bursts operand
// lines from DDR while execute issues the previous step's digit pairs from its on-chip buffers
// and result writes the rows of the block before (DESIGN §4.1, BISMO's decoupling). They
// agree on the order of the steps through frac_plan.h, never through a feedback channel. MEM
// has one reader (fetch) and one writer (result) in the region, as Vitis HLS dataflow wants.
// C-simulation runs the stages one after the other on unbounded streams (hls_stream.h of the
// ap_types), which yields the same bytes.
#ifndef FRAC_PASS_H
#define FRAC_PASS_H

#include "frac_burst.h"
#include "frac_execute.h"
#include "frac_fetch.h"
#include "frac_plan.h"
#include "frac_result.h"
#include "frac_types.h"

namespace frac {

// Depth of the operand FIFOs in word pairs: two lines of a K segment at the widest width, so
// fetch runs a line ahead of execute's buffer fill.
template <class CFG>
struct fifo_depth {
    static const unsigned OPERAND = CFG::SEG_PLANES * CFG::MAX_DIGITS;
    static const unsigned ROWS = 2 * CFG::TM;
};

template <class CFG>
void run_pass(word_t *mem, const pass_plan<CFG> &p, counters<CFG> &cnt, pass_edges &edges) {
#pragma HLS DATAFLOW
    hls::stream<word_t> a_lines;
    hls::stream<word_t> b_lines;
    hls::stream<out_row<CFG> > rows;
#pragma HLS STREAM variable=a_lines depth=fifo_depth<CFG>::OPERAND
#pragma HLS STREAM variable=b_lines depth=fifo_depth<CFG>::OPERAND
#pragma HLS STREAM variable=rows depth=fifo_depth<CFG>::ROWS
    fetch<CFG>(mem, p, a_lines, b_lines);
    execute<CFG>(p, a_lines, b_lines, rows, cnt);
    result<CFG>(mem, p, rows, edges);
#ifndef __SYNTHESIS__
    // C-sim only: a stage that produced more than the next one consumed would leave its FIFO
    // holding data (in hardware: a stalled region); stop the testbench rather than go on.
    if (!a_lines.empty() || !b_lines.empty() || !rows.empty()) {
        __builtin_trap();
    }
#endif
}

}  // namespace frac

#endif  // FRAC_PASS_H
