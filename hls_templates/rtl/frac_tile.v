// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_tile: one output of the array (output-stationary). BRICKS bricks multiply the same digit
// pair (i, j) for BRICKS reduction indices; one adder tree sums their products; one shifter moves
// the sum by 2(i+j); the accumulator adds it.
//   stage 1: bricks and adder tree            -> sum_q
//   stage 2: shift and accumulate             -> acc
// The shifter is a multiplication by the one-hot factor pow2 = 2^(2(i+j)), so that shifter and
// accumulator map onto one DSP48 (P <= P + A*B, P-register feedback, CEP = acc_en, RSTP = clr).
// Early termination: et_cmp latches stop = |acc| >= tau (thresholds in the padded scale); a
// stopped tile holds its prefix while the rest of its block runs on.
// Result hand-over: `snap` copies acc and stop into snap_acc and snap_stop (flip-flops with a
// clock enable), which the array's read-out reads while the next block accumulates.
module frac_tile #(
    parameter BRICKS = 16,
    parameter ACC_WIDTH = 48,
    parameter MAX_SHIFT = 20
) (
    input  wire                        clk,
    // stage 1: digit patterns of BRICKS reduction indices and the sign modes of this pair
    input  wire                        a_signed,
    input  wire [2*BRICKS-1:0]         a_dig,
    input  wire                        b_signed,
    input  wire [2*BRICKS-1:0]         b_dig,
    // stage 2
    input  wire                        clr,
    input  wire                        acc_en,
    input  wire [MAX_SHIFT:0]          pow2,
    // early termination
    input  wire                        valid,
    input  wire                        et_cmp,
    input  wire signed [ACC_WIDTH+1:0] thr_hi,
    input  wire signed [ACC_WIDTH+1:0] thr_lo,
    output wire                        stop_now,
    // result hand-over
    input  wire                        snap,
    output reg  [ACC_WIDTH-1:0]        snap_acc,
    output reg                         snap_stop
);
    localparam TW = 6 + $clog2(BRICKS);       // adder-tree sum: BRICKS products in [-6, 9]
    localparam PW = TW + MAX_SHIFT + 2;       // shifted sum

    reg signed [ACC_WIDTH-1:0] acc;
    reg                        stop;

    // ---------------------------------------------------------------- stage 1: bricks, tree
    wire [5*BRICKS-1:0] prods;
    genvar l;
    generate
        for (l = 0; l < BRICKS; l = l + 1) begin : g_brick
            frac_brick u_brick (
                .x_signed(a_signed), .x(a_dig[2*l +: 2]),
                .y_signed(b_signed), .y(b_dig[2*l +: 2]),
                .p(prods[5*l +: 5])
            );
        end
    endgenerate

    reg signed [TW-1:0] tree;
    integer i;
    always @* begin
        tree = {TW{1'b0}};
        for (i = 0; i < BRICKS; i = i + 1)
            tree = tree + { {(TW-5){prods[5*i+4]}}, prods[5*i +: 5]};
    end

    reg signed [TW-1:0] sum_q;
    always @(posedge clk)
        sum_q <= tree;

    // ---------------------------------------------------------------- stage 2: shift, accumulate
    wire signed [PW-1:0] sum_x = { {(PW-TW){sum_q[TW-1]}}, sum_q};
    wire signed [PW-1:0] pow_x = { {(PW-MAX_SHIFT-1){1'b0}}, pow2};
    wire signed [PW-1:0] shifted = sum_x * pow_x;
    wire signed [ACC_WIDTH-1:0] addend;
    generate
        if (PW <= ACC_WIDTH) begin : g_extend
            assign addend = { {(ACC_WIDTH-PW+1){shifted[PW-1]}}, shifted[PW-2:0]};
        end else begin : g_wrap
            // the array's K bound keeps every partial sum inside ACC_WIDTH bits
            assign addend = shifted[ACC_WIDTH-1:0];
        end
    endgenerate

    always @(posedge clk) begin
        if (clr)
            acc <= {ACC_WIDTH{1'b0}};
        else if (acc_en && !stop)
            acc <= acc + addend;
    end

    // ---------------------------------------------------------------- early termination
    wire signed [ACC_WIDTH+1:0] acc_x = { {2{acc[ACC_WIDTH-1]}}, acc};
    assign stop_now = valid && (acc_x >= thr_hi || acc_x <= thr_lo);

    always @(posedge clk) begin
        if (clr)
            stop <= 1'b0;
        else if (et_cmp)
            stop <= stop_now;
    end

    always @(posedge clk)
        if (snap) begin
            snap_acc <= acc;
            snap_stop <= stop;
        end
endmodule
