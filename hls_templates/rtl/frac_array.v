// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_array: TM x TN tiles, output-stationary; TM row buffers (A) and TN column buffers (B)
// broadcast their digits along the rows and columns. The buffers are filled with digit-plane
// words straight from DDR (two words per cycle, a bus beat, into the buffers' two banks); a column buffer may hold several column blocks
// of B side by side (the walker addresses them: B stays on chip across row blocks). One issue
// per cycle: a chunk address and the digit pair (its planes and sign modes; its shift follows
// a cycle later); the pair walks a 5-stage pipeline, each stage within the 200 MHz rule of
// `fracfpga estimate`:
//   stage 0  buffers read the plane words of the chunk (block RAM)
//   stage 1  lane selection and the odd-width pad mask, registered (frac_opbuf)
//   stage 2  bricks and partial sums (frac_tile)
//   stage 3  adder trees (frac_tile)
//   stage 4  shift and accumulate (DSP48)
// so an output block drains 4 cycles after its last issue (fpga_model.cycles.CycleCosts.block).
// Early termination: each tile registers its stop compare one cycle after its accumulator, and
// the AND over the block's outputs is registered once more (`all_stop_now`): the walker reads
// it 3 cycles after the accumulators settle (CycleCosts.et_check).
// Result hand-over: `snap` copies every tile's accumulator and stop flag into its snapshot
// (flip-flops with a clock enable in frac_tile: no LUTs) that the read-out mux and the stop mask
// read, so the result stage writes one block back while the next block clears and accumulates.
module frac_array #(
    parameter TM = 8,
    parameter TN = 8,
    parameter BRICKS = 16,
    parameter ACC_WIDTH = 48,
    parameter MAX_DIGITS = 6,
    parameter MAX_SHIFT = 20,
    parameter PLANE_K = 16,
    parameter SEG_CHUNKS = 1,
    // derived from the parameters above (port widths); not meant to be overridden
    parameter RW = (TM > 1) ? $clog2(TM) : 1,
    parameter CW = (TN > 1) ? $clog2(TN) : 1,
    parameter LG = $clog2(PLANE_K / BRICKS),
    parameter WA = (SEG_CHUNKS > 1) ? $clog2(SEG_CHUNKS) : 1,
    parameter AW = (SEG_CHUNKS * (PLANE_K / BRICKS) > 1) ? $clog2(SEG_CHUNKS * (PLANE_K / BRICKS)) : 1,
    parameter PW = (MAX_DIGITS > 1) ? $clog2(MAX_DIGITS) : 1,
    parameter DGW = $clog2(MAX_DIGITS + 1)
) (
    input  wire                        clk,
    input  wire                        rst,
    // loading: up to two plane words per cycle (one per bank, frac_opbuf) into a row or
    // column buffer
    input  wire                        a_wr_en,
    input  wire [RW-1:0]               a_wr_row,
    input  wire                        b_wr_en,
    input  wire [CW-1:0]               b_wr_col,
    input  wire                        wr_en0,
    input  wire [WA+PW-2:0]            wr_addr0,
    input  wire [2*PLANE_K-1:0]        wr_word0,
    input  wire                        wr_en1,
    input  wire [WA+PW-2:0]            wr_addr1,
    input  wire [2*PLANE_K-1:0]        wr_word1,
    input  wire                        a_odd,         // A, B: an odd digit count (bank map)
    input  wire                        b_odd,
    // stage 0: issue of one digit pair on one chunk
    input  wire                        issue,
    input  wire [AW-1:0]               rd_addr,
    input  wire [AW-1:0]               b_rd_addr,     // B's chunk: its column block's place
    input  wire [PW-1:0]               a_plane,
    input  wire [PW-1:0]               b_plane,
    input  wire                        a_pad_mask,
    input  wire                        b_pad_mask,
    input  wire                        a_signed,
    input  wire                        b_signed,
    input  wire [DGW+1:0]              shift,         // a cycle after its issue
    // output block
    input  wire                        clr,
    input  wire [RW:0]                 vm,
    input  wire [CW:0]                 vn,
    input  wire                        et_cmp,
    input  wire signed [ACC_WIDTH+1:0] thr_hi,
    input  wire signed [ACC_WIDTH+1:0] thr_lo,
    output reg                         all_stop_now,
    // result hand-over: the snapshot of the last drained block
    input  wire                        snap,
    output wire [TM*TN-1:0]            snap_stops,
    // read-out of one output of the snapshot
    input  wire [RW-1:0]               out_row,
    input  wire [CW-1:0]               out_col,
    output wire [ACC_WIDTH-1:0]        out_acc,
    output wire                        out_stop
);

    // ---------------------------------------------------------------- pipeline control
    reg                 s1_issue, s2_issue, s3_issue, s4_issue;
    reg                 s1_a_pad, s1_b_pad;
    reg                 s1_a_signed, s1_b_signed, s2_a_signed, s2_b_signed;
    reg [DGW+1:0]       s2_shift, s3_shift;
    reg [MAX_SHIFT:0]   s4_pow2;

    always @(posedge clk) begin
        if (rst) begin
            s1_issue <= 1'b0;
            s2_issue <= 1'b0;
            s3_issue <= 1'b0;
            s4_issue <= 1'b0;
        end else begin
            s1_issue <= issue;
            s2_issue <= s1_issue;
            s3_issue <= s2_issue;
            s4_issue <= s3_issue;
        end
        s1_a_pad <= a_pad_mask;
        s1_b_pad <= b_pad_mask;
        s1_a_signed <= a_signed;
        s1_b_signed <= b_signed;
        s2_a_signed <= s1_a_signed;
        s2_b_signed <= s1_b_signed;
        s2_shift <= shift;                     // the walker sends it a cycle after the issue
        s3_shift <= s2_shift;
        s4_pow2 <= { {MAX_SHIFT{1'b0}}, 1'b1} << s3_shift;
    end

    // ---------------------------------------------------------------- operand buffers
    wire [2*BRICKS*TM-1:0] a_dig;
    wire [2*BRICKS*TN-1:0] b_dig;
    // rows/columns inside the block, registered (vm and vn change only between blocks, while
    // the pipeline is empty)
    reg [TM-1:0] row_valid;
    reg [TN-1:0] col_valid;

    genvar r, c;
    generate
        for (r = 0; r < TM; r = r + 1) begin : g_row
            localparam [RW:0] ROW = r;
            always @(posedge clk)
                row_valid[r] <= vm > ROW;
            frac_opbuf #(
                .BRICKS(BRICKS), .PLANE_K(PLANE_K), .PW(PW), .WA(WA),
                .AW(AW), .LG(LG)
            ) u_abuf (
                .clk(clk),
                .wr_en0(wr_en0 && a_wr_en && a_wr_row == ROW[RW-1:0]),
                .wr_addr0(wr_addr0), .wr_word0(wr_word0),
                .wr_en1(wr_en1 && a_wr_en && a_wr_row == ROW[RW-1:0]),
                .wr_addr1(wr_addr1), .wr_word1(wr_word1), .odd(a_odd),
                .rd_en(issue), .rd_addr(rd_addr), .rd_plane(a_plane),
                .pad_mask(s1_a_pad), .line_valid(row_valid[r]),
                .dig(a_dig[2*BRICKS*r +: 2*BRICKS])
            );
        end
        for (c = 0; c < TN; c = c + 1) begin : g_col
            localparam [CW:0] COL = c;
            always @(posedge clk)
                col_valid[c] <= vn > COL;
            frac_opbuf #(
                .BRICKS(BRICKS), .PLANE_K(PLANE_K), .PW(PW), .WA(WA),
                .AW(AW), .LG(LG)
            ) u_bbuf (
                .clk(clk),
                .wr_en0(wr_en0 && b_wr_en && b_wr_col == COL[CW-1:0]),
                .wr_addr0(wr_addr0), .wr_word0(wr_word0),
                .wr_en1(wr_en1 && b_wr_en && b_wr_col == COL[CW-1:0]),
                .wr_addr1(wr_addr1), .wr_word1(wr_word1), .odd(b_odd),
                .rd_en(issue), .rd_addr(b_rd_addr), .rd_plane(b_plane),
                .pad_mask(s1_b_pad), .line_valid(col_valid[c]),
                .dig(b_dig[2*BRICKS*c +: 2*BRICKS])
            );
        end
    endgenerate

    // ---------------------------------------------------------------- tiles
    wire [TM*TN*ACC_WIDTH-1:0] snap_accs;
    wire [TM*TN-1:0] stop_now;
    wire [TM*TN-1:0] tile_valid;

    generate
        for (r = 0; r < TM; r = r + 1) begin : g_tile_row
            for (c = 0; c < TN; c = c + 1) begin : g_tile
                assign tile_valid[r*TN + c] = row_valid[r] & col_valid[c];
                frac_tile #(
                    .BRICKS(BRICKS), .ACC_WIDTH(ACC_WIDTH), .MAX_SHIFT(MAX_SHIFT)
                ) u_tile (
                    .clk(clk),
                    .a_signed(s2_a_signed), .a_dig(a_dig[2*BRICKS*r +: 2*BRICKS]),
                    .b_signed(s2_b_signed), .b_dig(b_dig[2*BRICKS*c +: 2*BRICKS]),
                    .clr(clr), .acc_en(s4_issue), .pow2(s4_pow2),
                    .valid(tile_valid[r*TN + c]), .et_cmp(et_cmp),
                    .thr_hi(thr_hi), .thr_lo(thr_lo),
                    .stop_now(stop_now[r*TN + c]),
                    .snap(snap),
                    .snap_acc(snap_accs[ACC_WIDTH*(r*TN + c) +: ACC_WIDTH]),
                    .snap_stop(snap_stops[r*TN + c])
                );
            end
        end
    endgenerate

    // every real output of the block stopped: the block skips its remaining rings (registered:
    // the AND over the tiles is its own stage)
    always @(posedge clk)
        all_stop_now <= &(stop_now | ~tile_valid);

    // ---------------------------------------------------------------- read-out of the snapshot
    localparam [RW+CW-1:0] TN_X = TN;
    wire [RW+CW-1:0] out_idx = { {CW{1'b0}}, out_row} * TN_X + { {RW{1'b0}}, out_col};
    assign out_acc = snap_accs[ACC_WIDTH*out_idx +: ACC_WIDTH];
    localparam NT2 = 1 << (RW + CW);
    wire [NT2-1:0] stops_pad;
    assign stops_pad[TM*TN-1:0] = snap_stops;
    generate
        if (NT2 > TM * TN) begin : g_pad
            assign stops_pad[NT2-1:TM*TN] = {(NT2 - TM*TN){1'b0}};
        end
    endgenerate
    assign out_stop = stops_pad[out_idx];
endmodule
