// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_ring_step: the digit-pair schedule, one step at a time (combinational).
// Ring r holds the pairs (pa, pb) with max(pa, pb) = r (p = 0: an operand's top digit), issued
// in lexicographic order: (0, r) .. (r-1, r), then (r, 0) .. (r, r), clipped to da x db
// (fpga_model/digits.py ring_pairs). Given the current pair, `more` says whether the ring has
// another pair and (pa_next, pb_next) is it; `adv_*` and `restart_*` are the first pairs of
// the rings r_adv and r_restart.
module frac_ring_step #(
    parameter DGW = 3
) (
    input  wire [DGW-1:0] ring,
    input  wire [DGW-1:0] pa,
    input  wire [DGW-1:0] pb,
    input  wire [DGW-1:0] da,
    input  wire [DGW-1:0] db,
    output reg            more,
    output reg  [DGW-1:0] pa_next,
    output reg  [DGW-1:0] pb_next,
    input  wire [DGW-1:0] r_adv,        // the ring after this one
    output wire [DGW-1:0] adv_pa,
    output wire [DGW-1:0] adv_pb,
    input  wire [DGW-1:0] r_restart,    // the first ring after the stop ring
    output wire [DGW-1:0] restart_pa,
    output wire [DGW-1:0] restart_pb
);
    wire [DGW-1:0] one = { {(DGW-1){1'b0}}, 1'b1};
    wire [DGW-1:0] pa_inc = pa + one;
    wire [DGW-1:0] pb_inc = pb + one;

    always @* begin
        more = 1'b0;
        pa_next = pa;
        pb_next = pb;
        if (pa < ring) begin            // on the column part: pb == ring
            if (pa_inc < ring) begin
                more = pa_inc < da;
                pa_next = pa_inc;
                pb_next = ring;
            end else begin
                more = ring < da;
                pa_next = ring;
                pb_next = {DGW{1'b0}};
            end
        end else begin                  // on the row part: pa == ring
            more = pb_inc <= ring && pb_inc < db;
            pb_next = pb_inc;
        end
    end

    // the first pair of a ring r: (0, r) when its column part exists, else (r, 0)
    wire adv_col = r_adv != {DGW{1'b0}} && r_adv < db;
    assign adv_pa = adv_col ? {DGW{1'b0}} : r_adv;
    assign adv_pb = adv_col ? r_adv : {DGW{1'b0}};
    wire restart_col = r_restart != {DGW{1'b0}} && r_restart < db;
    assign restart_pa = restart_col ? {DGW{1'b0}} : r_restart;
    assign restart_pb = restart_col ? r_restart : {DGW{1'b0}};
endmodule
