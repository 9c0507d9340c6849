// fracfpga static HLS header: the execute stage of the dataflow kernel.
//
// Walks the pass's steps (frac_plan.h). Where a step brings operand lines, it first moves them
// from the fetch streams into its on-chip buffers, two plane words per cycle: the A rows of
// the block (one bank per tile row) and the B columns (one bank per tile column, a region per
// column block when B stays on chip). Then it issues the step's ring group on its K segment
// from those buffers, one (digit pair, chunk) per cycle, pipelined at II=1 over the flattened
// pair x chunk loop. With early termination the block checks, after the stop ring's group,
// whether |partial| >= tau for each valid output; stopped tiles hold their prefix, and the
// block skips the later group only when all of them stopped (the lockstep group is the block).
//
// The STAT counters are the contract's engine counters (fpga_model/cycles.py pass_counters):
// one engine cycle per issued (pair, chunk) plus the fixed costs CFG::DESC_CYCLES,
// CFG::BLOCK_CYCLES and CFG::ET_CHECK_CYCLES, whatever order the steps run in. The prefix
// sweep of a relative tau (plan.dry, tau 0: every output stops after the prefix) sends no
// rows and keeps the largest |prefix| in STAT_PREFIX_MAX instead.
#ifndef FRAC_EXECUTE_H
#define FRAC_EXECUTE_H

#include "frac_burst.h"
#include "frac_plan.h"
#include "frac_schedule.h"
#include "frac_tile.h"
#include "frac_types.h"

namespace frac {

// Per-descriptor counters, indexed by CFG::STAT_* (the STAT record's order).
template <class CFG>
struct counters {
    uint64_t v[CFG::STAT_COUNT];
};

// One row of a finished block: TN outputs (unpadded values) and their stop bits.
template <class CFG>
struct out_row {
    ap_int<64> v[CFG::TN];
    bool stop[CFG::TN];
};

// Words of an operand buffer bank: one K segment of one line at the widest width, plus the
// junk half of a last odd pair.
template <class CFG>
struct buffer_depth {
    static const unsigned A = CFG::SEG_PLANES * CFG::MAX_DIGITS + 2;
    static const unsigned B = CFG::B_DEPTH + 2;
};

// Move `lines` lines of nwords plane words each from `in` into banks[line][base ...].
template <class CFG, unsigned BANKS, unsigned DEPTH>
void unpack_lines(hls::stream<word_t> &in, uint64_t lines, uint64_t nwords, uint64_t base,
                  ap_uint<32> banks[BANKS][DEPTH]) {
    const unsigned tc_pairs = CFG::SEG_PLANES * CFG::MAX_DIGITS / 2;
    (void)tc_pairs;  // read by a loop_tripcount pragma only
    const uint64_t npairs = ceil_div(nwords, 2);
    for (unsigned l = 0; l < BANKS; ++l) {
        if (l < lines) {
            for (uint64_t t = 0; t < npairs; ++t) {
#pragma HLS loop_tripcount min=1 max=tc_pairs
#pragma HLS PIPELINE II=1
                const word_t pair = in.read();
                banks[l][base + 2 * t] = pair.range(31, 0);
                banks[l][base + 2 * t + 1] = pair.range(63, 32);
            }
        }
    }
}

// Store one pair of plane words at (line, pair) of an A buffer and step to the next pair.
template <class CFG>
void put_a_pair(ap_uint<32> buf[CFG::TM][buffer_depth<CFG>::A], word_t pair, uint64_t &line,
                uint64_t &at, uint64_t pairs_per_line) {
#pragma HLS INLINE
    buf[line][2 * at] = pair.range(31, 0);
    buf[line][2 * at + 1] = pair.range(63, 32);
    if (at + 1 == pairs_per_line) {
        at = 0;
        line += 1;
    } else {
        at += 1;
    }
}

template <class CFG>
void execute(const pass_plan<CFG> &p, hls::stream<word_t> &a_in, hls::stream<word_t> &b_in,
             hls::stream<out_row<CFG> > &out, counters<CFG> &cnt) {
    typedef typename CFG::acc_t acc_t;
    const unsigned tc_steps = TC_STEPS;
    (void)tc_steps;  // read by a loop_tripcount pragma only
    const unsigned tc_issue = CFG::MAX_DIGITS * CFG::MAX_DIGITS * CFG::SEG_PLANES *
                              (CFG::PLANE_K / CFG::BRICKS);
    (void)tc_issue;  // read by a loop_tripcount pragma only
    const unsigned per_word = CFG::PLANE_K / CFG::BRICKS;  // chunks per plane word
    const uint64_t seg_k = uint64_t(CFG::SEG_PLANES) * CFG::PLANE_K;

    static ap_uint<32> a_buf[2][CFG::TM][buffer_depth<CFG>::A];
    static ap_uint<32> b_buf[CFG::TN][buffer_depth<CFG>::B];
    static acc_t acc_store[CFG::ACC_BLOCKS][CFG::TM][CFG::TN];
    static bool stop_store[CFG::ACC_BLOCKS][CFG::TM][CFG::TN];
    static bool all_store[CFG::ACC_BLOCKS];
#pragma HLS ARRAY_PARTITION variable=a_buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=a_buf complete dim=2
#pragma HLS ARRAY_PARTITION variable=b_buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=acc_store complete dim=2
#pragma HLS ARRAY_PARTITION variable=acc_store complete dim=3
#pragma HLS ARRAY_PARTITION variable=stop_store complete dim=2
#pragma HLS ARRAY_PARTITION variable=stop_store complete dim=3
    acc_t acc[CFG::TM][CFG::TN];
    bool stop[CFG::TM][CFG::TN];
    ap_uint<32> aw[CFG::TM];
    ap_uint<32> bw[CFG::TN];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
#pragma HLS ARRAY_PARTITION variable=stop complete dim=0
#pragma HLS ARRAY_PARTITION variable=aw complete dim=0
#pragma HLS ARRAY_PARTITION variable=bw complete dim=0

    schedule<CFG> s;
    unsigned kp, kq;
    prefix_keep(p.d, p.da, p.db, kp, kq);
    build_schedule<CFG>(p.da, p.db, kp, kq, s);
    const unsigned split = p.d.early_stop ? s.split : s.pairs;
    const unsigned unpad = unsigned(p.pad_a) + unsigned(p.pad_b);
    for (unsigned f = 0; f < CFG::STAT_COUNT; ++f) {
        cnt.v[f] = 0;
    }
    cnt.v[CFG::STAT_CYCLES] = CFG::DESC_CYCLES;  // fetch, check and plan the descriptor

    // Two A buffers: with K in one segment (output stationary) the next row block's A rows
    // come in behind the issue of this one's (non-blocking reads in the issue loop, so a FIFO
    // that is late never stalls it), and its first step only takes what did not arrive yet.
    const bool prefetch = !p.k_outer && p.segs == 1;
    const uint64_t a_pairs = ceil_div(p.a_line, 2);  // pairs of plane words per A line
    unsigned cur = 0;       // the A buffer the issue reads
    uint64_t pf_left = 0;   // pairs of the next row block's A rows still to come
    uint64_t pf_line = 0;
    uint64_t pf_at = 0;
    const unsigned tc_pairs = CFG::SEG_PLANES * CFG::MAX_DIGITS / 2 * CFG::TM;
    (void)tc_pairs;  // read by a loop_tripcount pragma only

    step_cursor c;
    cursor_start(c);
    for (uint64_t t = 0; t < p.steps; ++t) {
#pragma HLS loop_tripcount min=1 max=tc_steps
        const step_info st = step_of<CFG>(p, c);
        const uint64_t rows = min_u64(CFG::TM, p.d.m - c.bm * CFG::TM);
        const uint64_t cols = min_u64(CFG::TN, p.d.n - c.bn * CFG::TN);
        const uint64_t planes = seg_planes<CFG>(p, st.seg);
        if (st.need_a) {
            if (prefetch && t > 0) {  // the rest of this row block's A rows, then swap
                for (uint64_t n = 0; n < pf_left; ++n) {
#pragma HLS loop_tripcount min=1 max=tc_pairs
#pragma HLS PIPELINE II=1
                    put_a_pair<CFG>(a_buf[1 - cur], a_in.read(), pf_line, pf_at, a_pairs);
                }
                cur = 1 - cur;
            } else {
                unpack_lines<CFG, CFG::TM, buffer_depth<CFG>::A>(a_in, rows, planes * p.da, 0,
                                                                 a_buf[cur]);
            }
            pf_left = 0;
            if (prefetch && c.bm + 1 < p.blocks_m) {
                pf_left = min_u64(CFG::TM, p.d.m - (c.bm + 1) * CFG::TM) * a_pairs;
                pf_line = 0;
                pf_at = 0;
            }
        }
        if (st.need_b) {
            unpack_lines<CFG, CFG::TN, buffer_depth<CFG>::B>(b_in, cols, planes * p.db, st.b_base,
                                                             b_buf);
        }
        for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
            for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                acc[i][j] = st.first ? acc_t(0) : acc_store[st.slot][i][j];
                stop[i][j] = st.first ? false : stop_store[st.slot][i][j];
            }
        }
        const bool skipped = st.group == 1 && !st.first && all_store[st.slot];
        const unsigned q0 = st.group == 0 ? 0 : split;
        const unsigned q1 = st.group == 0 ? split : s.pairs;
        const uint64_t k0 = uint64_t(st.seg) * seg_k;
        const uint64_t seg_chunks = ceil_div(min_u64(seg_k, p.d.k - k0), CFG::BRICKS);
        const uint64_t issues = skipped ? 0 : uint64_t(q1 - q0) * seg_chunks;
        unsigned q = q0;
        uint64_t ch = 0;
        for (uint64_t n = 0; n < issues; ++n) {
#pragma HLS loop_tripcount min=1 max=tc_issue
#pragma HLS PIPELINE II=1
            const unsigned pa = s.pa[q];
            const unsigned pb = s.pb[q];
            const uint64_t word = ch / per_word;
            const unsigned lane0 = unsigned(ch % per_word) * CFG::BRICKS;
            const uint64_t kk = k0 + ch * CFG::BRICKS;
            const unsigned valid = unsigned(min_u64(CFG::BRICKS, p.d.k - kk));
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
                aw[i] = a_buf[cur][i][word * p.da + pa];
            }
            word_t next_a;
            if (pf_left != 0 && a_in.read_nb(next_a)) {  // the other buffer: no conflict
                put_a_pair<CFG>(a_buf[1 - cur], next_a, pf_line, pf_at, a_pairs);
                pf_left -= 1;
            }
            for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                bw[j] = b_buf[j][st.b_base + word * p.db + pb];
            }
            plane_mode ma;
            ma.is_signed = p.d.a_signed && pa == 0;
            ma.bottom_pad = p.pad_a && pa + 1 == p.da;
            plane_mode mb;
            mb.is_signed = p.d.b_signed && pb == 0;
            mb.bottom_pad = p.pad_b && pb + 1 == p.db;
            array_step<CFG>(aw, bw, lane0, valid, ma, mb, s.shift[q], stop, acc);
            if (ch + 1 == seg_chunks) {
                ch = 0;
                q += 1;
            } else {
                ch += 1;
            }
        }
        bool all_stopped = st.first ? false : all_store[st.slot];
        if (p.d.early_stop && st.group == 0 && st.seg + 1 == p.segs) {
            all_stopped = true;  // the check after the stop ring, over the whole K
            for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
                for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                    const acc_t v = acc[i][j] >> unpad;
                    const acc_t mag = v < 0 ? acc_t(-v) : v;
                    const bool in_block = i < rows && j < cols;
                    stop[i][j] = in_block && mag.to_uint64() >= p.d.tau;
                    if (in_block && !stop[i][j]) {
                        all_stopped = false;
                    }
                }
            }
        }
        for (unsigned i = 0; i < CFG::TM; ++i) {
#pragma HLS UNROLL
            for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                acc_store[st.slot][i][j] = acc[i][j];
                stop_store[st.slot][i][j] = stop[i][j];
            }
        }
        all_store[st.slot] = all_stopped;
        if (st.last) {
            const uint64_t valid_out = rows * cols;
            const uint64_t pairs = p.d.early_stop && all_stopped ? split : s.pairs;
            uint64_t stopped = 0;
            for (unsigned i = 0; i < CFG::TM; ++i) {
                if (i < rows && p.dry) {
                    for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                        const acc_t v = acc[i][j] >> unpad;
                        const uint64_t mag = (v < 0 ? acc_t(-v) : v).to_uint64();
                        if (j < cols && mag > cnt.v[CFG::STAT_PREFIX_MAX]) {
                            cnt.v[CFG::STAT_PREFIX_MAX] = mag;
                        }
                        stopped += stop[i][j] ? 1 : 0;
                    }
                } else if (i < rows) {
                    out_row<CFG> r;
                    for (unsigned j = 0; j < CFG::TN; ++j) {
#pragma HLS UNROLL
                        r.v[j] = acc[i][j] >> unpad;
                        r.stop[j] = stop[i][j];
                        stopped += stop[i][j] ? 1 : 0;
                    }
                    out.write(r);
                }
            }
            cnt.v[CFG::STAT_CYCLES] += CFG::BLOCK_CYCLES + pairs * p.chunks +
                                       (p.d.early_stop ? CFG::ET_CHECK_CYCLES : 0);
            // a stopped tile is operand-gated: it issued the prefix pairs only
            const uint64_t issued = p.d.early_stop
                ? valid_out * split + (valid_out - stopped) * (s.pairs - split)
                : valid_out * s.pairs;
            cnt.v[CFG::STAT_DIGIT_PRODUCTS] += issued * p.d.k;
            cnt.v[CFG::STAT_TILE_CYCLES] += issued * p.chunks;
            cnt.v[CFG::STAT_STOPPED] += p.dry ? 0 : stopped;
        }
        cursor_next<CFG>(p, c);
    }
}

}  // namespace frac

#endif  // FRAC_EXECUTE_H
