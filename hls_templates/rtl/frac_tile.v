// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_tile: one output of the array (output-stationary). BRICKS bricks multiply the same digit
// pair (i, j) for BRICKS reduction indices; an adder tree sums their products; one shifter
// moves the sum by 2(i+j); the accumulator adds it. The digits arrive registered (frac_opbuf).
//   stage 2: bricks and partial sums of GP products     -> part_q
//   stage 3: sum of the partial sums                    -> sum_q
//   stage 4: shift and accumulate                       -> acc
// Each stage keeps at most a few LUT levels and one carry chain (the 200 MHz rule of
// `fracfpga estimate`); the partial sums cost flip-flops only.
// The shifter is a multiplication by the one-hot factor pow2 = 2^(2(i+j)), so that shifter and
// accumulator map onto one DSP48 (P <= P + A*B, B register = sum_q, P-register feedback,
// CEP = acc_en, RSTP = clr).
// Early termination: every cycle stop_now registers valid && |acc| >= tau (thresholds in the
// padded scale), one cycle after acc; et_cmp latches it into stop; a stopped tile holds its
// prefix while the rest of its block runs on, operand-gated until the next block's clr: its
// bricks see zero A digits (one AND per digit bit, the only LUTs the gating costs), and !stop
// is the clock enable of part_q, sum_q (CEB of the DSP48) and acc (CEP), so none of its
// registers toggles and nothing it would compute reaches acc or the snapshot. The walker sets
// stop only at ET_CMP (pipeline drained) and clears it at BLK_START (before the next issue).
// Result hand-over: `snap` copies acc and stop into snap_acc and snap_stop (flip-flops with a
// clock enable), which the array's read-out reads while the next block accumulates.
module frac_tile #(
    parameter BRICKS = 16,
    parameter ACC_WIDTH = 48,
    parameter MAX_SHIFT = 20
) (
    input  wire                        clk,
    // stage 2: digit patterns of BRICKS reduction indices and the sign modes of this pair
    input  wire                        a_signed,
    input  wire [2*BRICKS-1:0]         a_dig,
    input  wire                        b_signed,
    input  wire [2*BRICKS-1:0]         b_dig,
    // stage 4
    input  wire                        clr,
    input  wire                        acc_en,
    input  wire [MAX_SHIFT:0]          pow2,
    // early termination
    input  wire                        valid,
    input  wire                        et_cmp,
    input  wire signed [ACC_WIDTH+1:0] thr_hi,
    input  wire signed [ACC_WIDTH+1:0] thr_lo,
    output reg                         stop_now,
    // result hand-over
    input  wire                        snap,
    output reg  [ACC_WIDTH-1:0]        snap_acc,
    output reg                         snap_stop
);
    localparam GP = (BRICKS < 4) ? BRICKS : 4;  // products per partial sum
    localparam NP = BRICKS / GP;                // partial sums
    localparam QW = 5 + $clog2(GP);             // a partial sum: GP products in [-6, 9]
    localparam TW = 6 + $clog2(BRICKS);         // adder-tree sum: BRICKS products in [-6, 9]
    localparam PW = TW + MAX_SHIFT + 2;         // shifted sum

    reg signed [ACC_WIDTH-1:0] acc;
    reg                        stop;

    // ---------------------------------------------------------------- stage 2: bricks, partials
    // operand isolation: a stopped tile's bricks multiply zero digits (their products hold at 0)
    wire [5*BRICKS-1:0] prods;
    wire [2*BRICKS-1:0] a_gated = a_dig & {2*BRICKS{!stop}};
    genvar l;
    generate
        for (l = 0; l < BRICKS; l = l + 1) begin : g_brick
            frac_brick u_brick (
                .x_signed(a_signed), .x(a_gated[2*l +: 2]),
                .y_signed(b_signed), .y(b_dig[2*l +: 2]),
                .p(prods[5*l +: 5])
            );
        end
    endgenerate

    reg [QW*NP-1:0] part, part_q;
    reg signed [QW-1:0] psum;
    integer g, i;
    always @* begin
        part = {QW*NP{1'b0}};
        for (g = 0; g < NP; g = g + 1) begin
            psum = {QW{1'b0}};
            for (i = 0; i < GP; i = i + 1)
                /* verilator lint_off WIDTHEXPAND */
                psum = psum + $signed(prods[5*(GP*g+i) +: 5]);   // sign-extended to QW bits
                /* verilator lint_on WIDTHEXPAND */
            part[QW*g +: QW] = psum;
        end
    end

    always @(posedge clk)
        if (!stop)
            part_q <= part;

    // ---------------------------------------------------------------- stage 3: tree
    reg signed [TW-1:0] tree;
    always @* begin
        tree = {TW{1'b0}};
        for (g = 0; g < NP; g = g + 1)
            tree = tree + { {(TW-QW){part_q[QW*g+QW-1]}}, part_q[QW*g +: QW]};
    end

    reg signed [TW-1:0] sum_q;
    always @(posedge clk)
        if (!stop)
            sum_q <= tree;

    // ---------------------------------------------------------------- stage 4: shift, accumulate
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
    always @(posedge clk)
        stop_now <= valid && (acc_x >= thr_hi || acc_x <= thr_lo);

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
