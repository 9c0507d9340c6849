// fracfpga static HLS header: the schedule of one pass on the dataflow kernel (DESIGN §4.1).
//
// A pass is a list of steps. A step works on one output block (TM x TN outputs) with one K
// segment (SEG_PLANES plane words per line and digit plane) and one ring group (all rings; or,
// with early termination, the rings up to the stop ring, then the rest). Two orders, as the
// design model (fpga_model/pipeline.py) chooses them and fpga_model/hls_cycles.py mirrors:
//
//   output stationary (FW, EB; GC when its outputs do not fit on chip):
//       row block, column block, then (group, segment) inside the block: the accumulators stay
//       in the tiles. When K fits one segment, the A rows stay on chip across the column
//       blocks and B (the weight stripe) stays on chip across row blocks when it fits the
//       stationary store: each operand crosses the port once.
//   K outer (GC when all M x N accumulators fit ACC_OUTPUTS): (group, segment) outermost,
//       then every block, whose accumulators wait in an on-chip store between segments; the
//       B segment of every column stays on chip across row blocks when it fits.
//
// fetch, execute and result walk the same steps with a step_cursor and call needs() to agree,
// without talking to each other, on which operand lines cross the port at which step.
#ifndef FRAC_PLAN_H
#define FRAC_PLAN_H

#include "frac_descriptor.h"
#include "frac_digits.h"
#include "frac_types.h"

namespace frac {

// Estimate for HLS latency reports only (steps of one pass); bounds nothing.
const unsigned TC_STEPS = 4096;

template <class CFG>
struct pass_plan {
    descriptor d;
    unsigned da, db;            // digits of A and B
    bool pad_a, pad_b;          // odd widths: the bottom plane carries a pad bit
    uint64_t blocks_m, blocks_n;
    uint64_t chunks;            // BRICKS-wide K chunks (engine cycles per digit pair)
    uint64_t planes;            // 16-wide K chunks: plane words per line and digit
    unsigned segs;              // K segments
    uint64_t a_line, b_line;    // plane words per line
    unsigned groups;            // ring groups: 1, or 2 with early termination
    bool k_outer;               // the K-outer order (GC with its outputs on chip)
    bool b_resident;            // B of every column block stays in the stationary store
    bool dry;                   // the prefix sweep of a relative tau: no results, max |prefix|
    uint64_t outer, inner;      // (group, segment) steps outside and inside the block loops
    uint64_t steps;
};

template <class CFG>
pass_plan<CFG> plan_pass(const descriptor &d) {
    pass_plan<CFG> p;
    p.d = d;
    p.da = num_digits(d.a_bits);
    p.db = num_digits(d.b_bits);
    p.pad_a = pad_bits(d.a_bits) != 0;
    p.pad_b = pad_bits(d.b_bits) != 0;
    p.blocks_m = ceil_div(d.m, CFG::TM);
    p.blocks_n = ceil_div(d.n, CFG::TN);
    p.chunks = ceil_div(d.k, CFG::BRICKS);
    p.planes = ceil_div(d.k, CFG::PLANE_K);
    p.segs = unsigned(ceil_div(p.planes, CFG::SEG_PLANES));
    p.a_line = p.planes * p.da;
    p.b_line = p.planes * p.db;
    p.groups = d.early_stop ? 2 : 1;
    p.dry = false;
    const uint64_t outputs = uint64_t(d.m) * d.n;
    p.k_outer = d.pass == CFG::PASS_GC && outputs <= CFG::ACC_OUTPUTS &&
                p.blocks_m * p.blocks_n <= CFG::ACC_BLOCKS;
    const uint64_t seg_b = min_u64(p.planes, CFG::SEG_PLANES) * p.db;
    p.b_resident = (p.k_outer || p.segs == 1) && p.blocks_n * seg_b <= CFG::B_DEPTH;
    const uint64_t gs = uint64_t(p.groups) * p.segs;
    p.outer = p.k_outer ? gs : 1;
    p.inner = p.k_outer ? 1 : gs;
    p.steps = p.outer * p.blocks_m * p.blocks_n * p.inner;
    return p;
}

// Where a step is: (o, bm, bn, i) in lexicographic order, and what it means.
struct step_cursor {
    uint64_t o, bm, bn, i;
};

inline void cursor_start(step_cursor &c) {
#pragma HLS INLINE
    c.o = 0;
    c.bm = 0;
    c.bn = 0;
    c.i = 0;
}

template <class CFG>
void cursor_next(const pass_plan<CFG> &p, step_cursor &c) {
#pragma HLS INLINE
    if (c.i + 1 < p.inner) {
        c.i += 1;
        return;
    }
    c.i = 0;
    if (c.bn + 1 < p.blocks_n) {
        c.bn += 1;
        return;
    }
    c.bn = 0;
    if (c.bm + 1 < p.blocks_m) {
        c.bm += 1;
        return;
    }
    c.bm = 0;
    c.o += 1;
}

// What one step does: its ring group and K segment, whether it starts or finishes its block,
// and which operand lines it brings on chip.
struct step_info {
    unsigned group;
    unsigned seg;
    bool first;      // the block's first step: clear its accumulators
    bool last;       // the block's last step: its outputs leave
    bool need_a;     // fetch the block's A rows for this segment
    bool need_b;     // fetch the block's B columns for this segment
    uint64_t b_base; // where the B columns go in the stationary store (plane words per bank)
    uint64_t slot;   // the accumulator slot of the block (K outer) or 0
};

template <class CFG>
step_info step_of(const pass_plan<CFG> &p, const step_cursor &c) {
#pragma HLS INLINE
    step_info s;
    const uint64_t gs = p.k_outer ? c.o : c.i;
    const uint64_t count = p.k_outer ? p.outer : p.inner;
    s.group = unsigned(gs / p.segs);
    s.seg = unsigned(gs - uint64_t(s.group) * p.segs);
    s.first = gs == 0;
    s.last = gs + 1 == count;
    if (p.k_outer) {
        s.need_a = c.bn == 0;  // the A rows of (segment, row block) serve every column block
        s.need_b = c.bm == 0 || !p.b_resident;
    } else if (p.segs == 1) {  // the whole K is on chip: later ring groups reuse it
        s.need_a = c.bn == 0 && c.i == 0;
        s.need_b = c.i == 0 && (c.bm == 0 || !p.b_resident);
    } else {
        s.need_a = true;
        s.need_b = true;
    }
    const uint64_t seg_b = min_u64(p.planes, CFG::SEG_PLANES) * p.db;
    s.b_base = p.b_resident ? c.bn * seg_b : 0;
    s.slot = p.k_outer ? c.bm * p.blocks_n + c.bn : 0;
    return s;
}

// Plane words of segment `seg` per line and digit plane.
template <class CFG>
uint64_t seg_planes(const pass_plan<CFG> &p, unsigned seg) {
#pragma HLS INLINE
    return min_u64(CFG::SEG_PLANES, p.planes - uint64_t(seg) * CFG::SEG_PLANES);
}

}  // namespace frac

#endif  // FRAC_PLAN_H
