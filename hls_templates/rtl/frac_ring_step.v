// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_ring_step: the digit-pair schedule, one step at a time (combinational).
// Ring r holds the pairs (pa, pb) with max(pa, pb) = r (p = 0: an operand's top digit), issued
// in lexicographic order: (0, r) .. (r-1, r), then (r, 0) .. (r, r), clipped to da x db
// (fpga_model/digits.py ring_pairs). The early-stop prefix, the top kp digits of A x the top kq
// digits of B, is issued first (group 0: pa < kp and pb < kq), the other pairs after it
// (group 1), each group in ring order (fpga_model/digits.py prefix_groups); kp = da, kq = db
// is the whole pass in group 0. Within a ring each group's pairs are a column run
// (pa in [c_lo, c_hi), pb = r) and a row run (pa = r, pb in [r_lo, r_hi)).
// Given the current pair of group `group`, `more` says whether the ring has another pair of
// that group and (pa_next, pb_next) is it; `adv_*` is the first pair of ring r_adv in `group`,
// `restart_*` the first pair of ring r_restart in group 1.
module frac_ring_step #(
    parameter DGW = 3
) (
    input  wire [DGW-1:0] ring,
    input  wire [DGW-1:0] pa,
    input  wire [DGW-1:0] pb,
    input  wire [DGW-1:0] da,
    input  wire [DGW-1:0] db,
    input  wire [DGW-1:0] kp,           // digits of A in the prefix (1..da)
    input  wire [DGW-1:0] kq,           // digits of B in the prefix (1..db)
    input  wire           group,        // 0: the prefix's pairs; 1: the others
    output reg            more,
    output reg  [DGW-1:0] pa_next,
    output reg  [DGW-1:0] pb_next,
    input  wire [DGW-1:0] r_adv,        // the ring after this one
    output wire [DGW-1:0] adv_pa,
    output wire [DGW-1:0] adv_pb,
    input  wire [DGW-1:0] r_restart,    // the first ring of group 1
    output wire [DGW-1:0] restart_pa,
    output wire [DGW-1:0] restart_pb
);
    wire [DGW-1:0] one = { {(DGW-1){1'b0}}, 1'b1};

    function [DGW-1:0] min_d(input [DGW-1:0] x, input [DGW-1:0] y);
        min_d = (x < y) ? x : y;
    endfunction

    // the runs of ring r in group g: {col_ok, c_lo, c_hi, row_ok, r_lo, r_hi}
    function [4*DGW+1:0] runs(input [DGW-1:0] r, input g, input [DGW-1:0] a_d,
                              input [DGW-1:0] b_d, input [DGW-1:0] p, input [DGW-1:0] q);
        reg [DGW-1:0] c_lo, c_hi, r_lo, r_hi;
        reg           c_ok, r_ok;
        begin
            if (!g) begin
                c_lo = {DGW{1'b0}};
                c_hi = min_d(r, p);
                c_ok = r < q && c_lo < c_hi;
                r_lo = {DGW{1'b0}};
                r_hi = min_d(r + { {(DGW-1){1'b0}}, 1'b1}, q);
                r_ok = r < p && r_lo < r_hi;
            end else begin
                c_lo = (r >= q) ? {DGW{1'b0}} : p;
                c_hi = min_d(r, a_d);
                c_ok = r < b_d && c_lo < c_hi;
                r_lo = (r >= p) ? {DGW{1'b0}} : q;
                r_hi = min_d(r + { {(DGW-1){1'b0}}, 1'b1}, b_d);
                r_ok = r < a_d && r_lo < r_hi;
            end
            runs = {c_ok, c_lo, c_hi, r_ok, r_lo, r_hi};
        end
    endfunction

    // the current ring
    wire [4*DGW+1:0] cur = runs(ring, group, da, db, kp, kq);
    wire           cur_c_ok = cur[4*DGW+1];
    wire [DGW-1:0] cur_c_hi = cur[2*DGW+1 +: DGW];
    wire           cur_r_ok = cur[2*DGW];
    wire [DGW-1:0] cur_r_lo = cur[DGW +: DGW];
    wire [DGW-1:0] cur_r_hi = cur[0 +: DGW];
    wire [DGW-1:0] pa_inc = pa + one;
    wire [DGW-1:0] pb_inc = pb + one;

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused_cur = cur_c_ok;
    /* verilator lint_on UNUSEDSIGNAL */

    always @* begin
        more = 1'b0;
        pa_next = pa;
        pb_next = pb;
        if (pa < ring) begin            // on the column part: pb == ring
            if (pa_inc < cur_c_hi) begin
                more = 1'b1;
                pa_next = pa_inc;
                pb_next = ring;
            end else begin
                more = cur_r_ok;
                pa_next = ring;
                pb_next = cur_r_lo;
            end
        end else begin                  // on the row part: pa == ring
            more = pb_inc < cur_r_hi;
            pb_next = pb_inc;
        end
    end

    // the first pair of a ring: its column run's first when there is one, else its row run's
    wire [4*DGW+1:0] adv = runs(r_adv, group, da, db, kp, kq);
    assign adv_pa = adv[4*DGW+1] ? adv[3*DGW+1 +: DGW] : r_adv;
    assign adv_pb = adv[4*DGW+1] ? r_adv : adv[DGW +: DGW];
    wire [4*DGW+1:0] rst_runs = runs(r_restart, 1'b1, da, db, kp, kq);
    assign restart_pa = rst_runs[4*DGW+1] ? rst_runs[3*DGW+1 +: DGW] : r_restart;
    assign restart_pb = rst_runs[4*DGW+1] ? r_restart : rst_runs[DGW +: DGW];

    /* verilator lint_off UNUSEDSIGNAL */
    wire unused = |{adv[2*DGW +: DGW+1], adv[0 +: DGW], rst_runs[2*DGW +: DGW+1],
                    rst_runs[0 +: DGW], cur[3*DGW+1 +: DGW]};
    /* verilator lint_on UNUSEDSIGNAL */
endmodule
