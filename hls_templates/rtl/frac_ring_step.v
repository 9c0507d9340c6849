// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_ring_step: the digit-pair schedule, one step at a time (combinational).
// Ring r holds the pairs (pa, pb) with max(pa, pb) = r (p = 0: an operand's top digit), issued
// in lexicographic order: (0, r) .. (r-1, r), then (r, 0) .. (r, r), clipped to da x db
// (fpga_model/digits.py ring_pairs). The early-stop prefix, the top kp digits of A x the top kq
// digits of B, is issued first (group 0: pa < kp and pb < kq), the other pairs after it
// (group 1), each group in ring order (fpga_model/digits.py prefix_groups); kp = da, kq = db
// is the whole pass in group 0. Within a ring each group's pairs are a column run
// (pa in [c_lo, c_hi), pb = r) and a row run (pa = r, pb in [r_lo, r_hi)).
// The walker keeps every ring's runs in the current group in registers (its ring_entry, from
// the descriptor's digits), so that this step, given the current pair and its ring's registered
// runs, says whether the ring has another pair of the group (`more`) and which (pa_next,
// pb_next) in two LUT levels.
module frac_ring_step #(
    parameter DGW = 3
) (
    input  wire [DGW-1:0] ring,
    input  wire [DGW-1:0] pa,
    input  wire [DGW-1:0] pb,
    input  wire [DGW-1:0] c_hi,         // the ring's runs in the current group (registered)
    input  wire           r_ok,
    input  wire [DGW-1:0] r_lo,
    input  wire [DGW-1:0] r_hi,
    output reg            more,
    output reg  [DGW-1:0] pa_next,
    output reg  [DGW-1:0] pb_next
);
    // The compares and increments are written as gates, not `<` and `+`: on DGW (3-4) bits each
    // is one or two LUTs, where synthesis would otherwise build a carry chain and put its
    // delay in front of the walker's pair update.
    function lt(input [DGW-1:0] a, input [DGW-1:0] b);   // a < b, unsigned
        integer i;
        begin
            lt = 1'b0;
            for (i = 0; i < DGW; i = i + 1)
                lt = (!a[i] && b[i]) || (!(a[i] ^ b[i]) && lt);
        end
    endfunction
    function [DGW-1:0] inc(input [DGW-1:0] a);          // a + 1, modulo 2^DGW
        integer i;
        reg c;
        begin
            c = 1'b1;
            for (i = 0; i < DGW; i = i + 1) begin
                inc[i] = a[i] ^ c;
                c = c && a[i];
            end
        end
    endfunction
    wire [DGW-1:0] pa_inc = inc(pa);
    wire [DGW-1:0] pb_inc = inc(pb);

    always @* begin
        more = 1'b0;
        pa_next = pa;
        pb_next = pb;
        if (lt(pa, ring)) begin         // on the column part: pb == ring
            if (lt(pa_inc, c_hi)) begin
                more = 1'b1;
                pa_next = pa_inc;
                pb_next = ring;
            end else begin
                more = r_ok;
                pa_next = ring;
                pb_next = r_lo;
            end
        end else begin                  // on the row part: pa == ring
            more = lt(pb_inc, r_hi);
            pb_next = pb_inc;
        end
    end
endmodule

