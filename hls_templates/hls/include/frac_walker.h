// fracfpga static HLS header: the descriptor walker, what the kernel does on one start.
//
// The host writes a descriptor list into the DDR window and starts the kernel once; the walker
// fetches each descriptor, checks its fields (there is no operand scan: every digit-plane
// pattern is a legal code), reconfigures the array
// for it (widths, signedness, stop ring, tau, pass), runs the pass and writes the STAT record.
// The first refused descriptor stops the walk: STATUS = 1 + its index, ERROR = why; the totals
// cover the descriptors that completed. Same contract as fpga_model/kernel.py run_kernel.
#ifndef FRAC_WALKER_H
#define FRAC_WALKER_H

#include "frac_descriptor.h"
#include "frac_digits.h"
#include "frac_mem.h"
#include "frac_pass.h"
#include "frac_types.h"

namespace frac {

// The registers after a run (STATUS, ERROR, CYCLES, DIGIT_PRODUCTS).
struct walk_result {
    unsigned status;
    unsigned error;
    uint64_t cycles;
    uint64_t digit_products;
};

// Write the STAT record of one descriptor (little-endian uint64 fields, CFG::STAT_* order).
template <class CFG>
void write_stats(word_t *mem, addr_t at, const counters &c) {
    mem_write<64>(mem, at + 8 * CFG::STAT_CYCLES, ap_uint<64>(c.cycles));
    mem_write<64>(mem, at + 8 * CFG::STAT_DIGIT_PRODUCTS, ap_uint<64>(c.digit_products));
    mem_write<64>(mem, at + 8 * CFG::STAT_TILE_CYCLES, ap_uint<64>(c.tile_cycles));
    mem_write<64>(mem, at + 8 * CFG::STAT_STOPPED, ap_uint<64>(c.stopped));
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
        counters c;
        c.cycles = CFG::DESC_CYCLES;  // fetch and decode
        c.digit_products = 0;
        c.tile_cycles = 0;
        c.stopped = 0;
        run_pass<CFG>(mem, d, c);
        write_stats<CFG>(mem, d.stat_addr, c);
        r.cycles += c.cycles;
        r.digit_products += c.digit_products;
    }
    return r;
}

}  // namespace frac

#endif  // FRAC_WALKER_H
