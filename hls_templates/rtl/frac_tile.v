// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_tile: one output of the array (output-stationary). BRICKS bricks multiply the same digit
// pair (i, j) for BRICKS reduction indices; an adder tree sums their products; one shifter
// moves the sum by 2(i+j); the accumulator adds it. The digits arrive registered (frac_opbuf).
// A brick is a 2b x 2b product: each operand a raw 2-bit digit pattern plus a sign mode (signed:
// a two's-complement digit in [-2, 1], the top digit of a signed operand; else unsigned in
// [0, 3]), so the product lies in [-6, 9]. Every brick reads the tile's one 64-entry table of
// the products plus BIAS = 6, in [0, 15] (a LUT6 per bit, four per brick): partial sums add
// 4-bit unsigned numbers, and the tree subtracts BIAS once per brick. The key
// {x_signed, x, y_signed, y} is written as the OR of a part shared by a column of tiles
// ({x_signed, 00, y_signed, y}: a simulator computes it once per column) and the tile's own
// A digit; synthesis maps it to the same LUT6 per product bit. One table per tile instead of
// one per brick keeps a simulator's working set small (bench/rtlsim_speed.py).
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
    localparam BIAS = 6;                        // added to every product: [-6, 9] -> [0, 15]
    localparam QW = 4 + $clog2(GP);             // a partial sum: GP biased products, unsigned
    localparam TW = 6 + $clog2(BRICKS);         // adder-tree sum: BRICKS products in [-6, 9]
    localparam PW = TW + MAX_SHIFT + 2;         // shifted sum

    reg signed [ACC_WIDTH-1:0] acc;
    reg                        stop;

    // ---------------------------------------------------------------- stage 2: bricks, partials
    // the biased products by key {x_signed, x, y_signed, y}, computed at elaboration
    function [255:0] products(input integer entries);
        integer key;
        reg signed [4:0] xe, ye;
        /* verilator lint_off UNUSEDSIGNAL */
        reg signed [4:0] pe;                    // in [0, 15]: its sign bit is always 0
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            products = 256'd0;
            for (key = 0; key < entries; key = key + 1) begin
                xe = { {3{key[5] & key[4]}}, key[4:3]};
                ye = { {3{key[2] & key[1]}}, key[1:0]};
                pe = xe * ye + BIAS;
                products[4*key +: 4] = pe[3:0];
            end
        end
    endfunction
    localparam [255:0] PRODUCTS = products(64);

    // the table as 64 entries: synthesis maps each brick's read as the one vector would (a LUT6
    // per product bit), and a simulator reads one element of one small array
    wire [3:0] table_e [0:63];
    // operand isolation: a stopped tile's bricks multiply zero digits (their products hold)
    wire [2*BRICKS-1:0] a_gated = a_dig & {2*BRICKS{!stop}};
    wire [4*BRICKS-1:0] prods;
    genvar e, l;
    generate
        for (e = 0; e < 64; e = e + 1) begin : g_entry
            assign table_e[e] = PRODUCTS[4*e +: 4];
        end
        for (l = 0; l < BRICKS; l = l + 1) begin : g_brick
            assign prods[4*l +: 4] =
                table_e[{a_signed, 2'b00, b_signed, b_dig[2*l +: 2]}
                        | {1'b0, a_gated[2*l +: 2], 3'b000}];
        end
    endgenerate

    reg [QW*NP-1:0] part, part_q;
    reg [QW-1:0] psum;
    integer g, i;
    always @* begin
        part = {QW*NP{1'b0}};
        for (g = 0; g < NP; g = g + 1) begin
            psum = {QW{1'b0}};
            for (i = 0; i < GP; i = i + 1)
                /* verilator lint_off WIDTHEXPAND */
                psum = psum + prods[4*(GP*g+i) +: 4];            // zero-extended to QW bits
                /* verilator lint_on WIDTHEXPAND */
            part[QW*g +: QW] = psum;
        end
    end

    always @(posedge clk)
        if (!stop)
            part_q <= part;

    // ---------------------------------------------------------------- stage 3: tree
    // the partial sums less the bricks' bias (TW - QW >= 2 bits of headroom)
    localparam [TW-1:0] TREE_BIAS = BIAS * BRICKS;
    reg signed [TW-1:0] tree;
    always @* begin
        tree = -TREE_BIAS;
        for (g = 0; g < NP; g = g + 1)
            tree = tree + { {(TW-QW){1'b0}}, part_q[QW*g +: QW]};
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
