// fracfpga static HLS header: the descriptor walker, what the kernel does on one start.
//
// The host writes a descriptor list into the DDR window and starts the kernel once; the walker
// fetches each descriptor, checks its fields (there is no operand scan: every digit-plane
// pattern is a legal code), plans the pass for it (widths, signedness, stop ring, tau, pass,
// order of the steps), runs the pass's dataflow region, merges the edge beats of C and MASK
// and writes the STAT record. A relative tau runs the region twice: the prefix sweep (tau 0,
// nothing written, the largest |prefix| kept), then the pass with tau = ceil(max * beta). The
// first refused descriptor stops the walk: STATUS = 1 + its index, ERROR = why; the totals
// cover the descriptors that completed. Same contract as fpga_model/kernel.py run_kernel.
#ifndef FRAC_WALKER_H
#define FRAC_WALKER_H

#include "frac_burst.h"
#include "frac_descriptor.h"
#include "frac_pass.h"
#include "frac_plan.h"
#include "frac_types.h"

namespace frac {

// Estimate for HLS latency reports only (descriptors of one start); bounds nothing.
const unsigned TC_MAX_DESCRIPTORS = 256;

// The registers after a run (STATUS, ERROR, CYCLES, DIGIT_PRODUCTS).
struct walk_result {
    unsigned status;
    unsigned error;
    uint64_t cycles;
    uint64_t digit_products;
};

// The STAT record of one descriptor: every CFG::STAT_* counter as a little-endian uint64, in
// the order of fpga_model.descriptor.STAT_FIELDS (the only place that writes it).
template <class CFG>
void write_stats(word_t *mem, addr_t at, const counters<CFG> &c) {
    bit_packer p;
    packer_open(p, at);
    for (unsigned f = 0; f < CFG::STAT_COUNT; ++f) {
#pragma HLS PIPELINE II=1
        packer_put(mem, p, ap_uint<64>(c.v[f]), 64);
    }
    merge_edge(mem, p.head);
    merge_edge(mem, packer_close(p));
}

// The threshold of a relative tau: ceil(prefix_max * tau_rel / TAU_REL_ONE), as
// fpga_model.operands.relative_tau (prefix_max < 2^47 and tau_rel <= 2^16: no overflow).
template <class CFG>
uint64_t relative_tau(uint64_t prefix_max, uint64_t tau_rel) {
    return (prefix_max * tau_rel + (CFG::TAU_REL_ONE - 1)) / CFG::TAU_REL_ONE;
}

// Run the pass of descriptor d into c: a relative tau first sweeps the prefix of every block
// (fpga_model.cycles.pass_counters, two_sweeps: the sweeps' work adds up, the descriptor is
// counted once, TAU_STEP_CYCLES derive the threshold; stops are the pass's).
template <class CFG>
void run_descriptor(word_t *mem, descriptor d, counters<CFG> &c, pass_edges &e) {
    counters<CFG> sweep;
    uint64_t prefix_max = 0;
    if (d.tau_rel) {
        descriptor first = d;
        first.tau = 0;  // every output stops after the prefix
        pass_plan<CFG> p = plan_pass<CFG>(first);
        p.dry = true;
        pass_edges none;
        run_pass<CFG>(mem, p, sweep, none);
        prefix_max = sweep.v[CFG::STAT_PREFIX_MAX];
        d.tau = relative_tau<CFG>(prefix_max, d.tau);
    }
    run_pass<CFG>(mem, plan_pass<CFG>(d), c, e);
    if (d.tau_rel) {
        c.v[CFG::STAT_CYCLES] += sweep.v[CFG::STAT_CYCLES] - CFG::DESC_CYCLES +
                                 CFG::TAU_STEP_CYCLES;
        c.v[CFG::STAT_DIGIT_PRODUCTS] += sweep.v[CFG::STAT_DIGIT_PRODUCTS];
        c.v[CFG::STAT_TILE_CYCLES] += sweep.v[CFG::STAT_TILE_CYCLES];
    }
    c.v[CFG::STAT_PREFIX_MAX] = prefix_max;
    c.v[CFG::STAT_TAU] = d.early_stop ? d.tau : 0;
}

// Walk desc_count descriptors from byte offset desc_addr of the DDR window.
template <class CFG>
walk_result walk(word_t *mem, unsigned desc_addr, unsigned desc_count) {
    const unsigned tc_descriptors = TC_MAX_DESCRIPTORS;
    (void)tc_descriptors;  // read by a loop_tripcount pragma only
    walk_result r;
    r.status = 0;
    r.error = CFG::ERR_OK;
    r.cycles = 0;
    r.digit_products = 0;
    for (unsigned i = 0; i < desc_count; ++i) {
#pragma HLS loop_tripcount min=1 max=tc_descriptors
        const addr_t at = addr_t(desc_addr) + addr_t(i) * CFG::DESC_BYTES;
        const descriptor d = read_descriptor<CFG>(mem, at);
        const unsigned err = check_descriptor<CFG>(d);
        if (err != CFG::ERR_OK) {
            r.status = i + 1;
            r.error = err;
            break;
        }
        counters<CFG> c;
        pass_edges e;
        run_descriptor<CFG>(mem, d, c, e);
        merge_edge(mem, e.c_head);
        merge_edge(mem, e.c_tail);
        merge_edge(mem, e.mask_head);
        merge_edge(mem, e.mask_tail);
        write_stats<CFG>(mem, d.stat_addr, c);
        r.cycles += c.v[CFG::STAT_CYCLES];
        r.digit_products += c.v[CFG::STAT_DIGIT_PRODUCTS];
    }
    return r;
}

}  // namespace frac

#endif  // FRAC_WALKER_H
