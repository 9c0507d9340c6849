// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_axi_reader: AXI4 read master that streams 32-bit words from a 2-D region of DDR (digit-
// plane words of the operands, descriptor words).
// A command reads `rows` rows of `count` words; row r starts at byte address addr + r*stride,
// at any byte alignment. The address side issues INCR bursts of up to MAX_BURST 8-byte beats
// that never cross a 4 KB boundary, at most MAX_OUTSTANDING at a time; the data side keeps a
// 16-byte window, drops the bytes before the start of each row and after its end, and emits
// one word per cycle. cmd_ready is high exactly when both sides are idle.
module frac_axi_reader #(
    parameter ADDR_W = 64,
    parameter MAX_BURST = 16,
    parameter MAX_OUTSTANDING = 4
) (
    input  wire              clk,
    input  wire              rst,
    // command
    input  wire              cmd_valid,
    output wire              cmd_ready,
    input  wire [ADDR_W-1:0] cmd_addr,
    input  wire [31:0]       cmd_count,
    input  wire [31:0]       cmd_rows,
    input  wire [ADDR_W-1:0] cmd_stride,
    // word stream
    output wire              out_valid,
    input  wire              out_ready,
    output wire [31:0]       out_data,
    // AXI4 read address and data channels
    output wire [ADDR_W-1:0] araddr,
    output wire [7:0]        arlen,
    output wire              arvalid,
    input  wire              arready,
    input  wire [63:0]       rdata,
    input  wire              rlast,
    input  wire              rvalid,
    output wire              rready
);
    localparam BW = ADDR_W - 3;                 // beat address bits
    localparam [1:0] A_IDLE = 2'd0, A_ROW = 2'd1, A_BURST = 2'd2;
    localparam [1:0] D_IDLE = 2'd0, D_ROW = 2'd1, D_STREAM = 2'd2;
    localparam [30:0] MAX_BURST_W = MAX_BURST;
    localparam [3:0] OUTST_W = MAX_OUTSTANDING;

    // beats that hold `count` words starting at byte address `addr`
    function [30:0] row_beats(input [2:0] offset, input [31:0] count);
        /* verilator lint_off UNUSEDSIGNAL */
        reg [33:0] bytes;             // bits [2:0]: the offset inside the last beat
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            bytes = {count, 2'b00} + {31'd0, offset} + 34'd7;
            row_beats = bytes[33:3];
        end
    endfunction

    // beats of the next burst: the row's rest, the burst limit and the 4 KB page bound it
    function [30:0] burst_beats(input [8:0] page_beat, input [30:0] left);
        reg [30:0] to_page;
        reg [30:0] lim;
        begin
            to_page = 31'd512 - {22'd0, page_beat};
            lim = (to_page < MAX_BURST_W) ? to_page : MAX_BURST_W;
            burst_beats = (left < lim) ? left : lim;
        end
    endfunction

    reg [31:0]       count_q;
    reg [ADDR_W-1:0] stride_q;

    // ---------------------------------------------------------------- address side
    reg [1:0]        a_state;
    reg [ADDR_W-1:0] a_row_addr;
    reg [31:0]       a_rows_left;
    reg [BW-1:0]     a_beat;
    reg [30:0]       a_beats_left;
    reg [3:0]        outstanding;

    wire [30:0] a_len = burst_beats(a_beat[8:0], a_beats_left);
    assign arvalid = (a_state == A_BURST) && (outstanding < OUTST_W);
    assign araddr = {a_beat, 3'b000};
    assign arlen = a_len[7:0] - 8'd1;
    wire ar_fire = arvalid && arready;
    wire r_fire = rvalid && rready;

    always @(posedge clk) begin
        if (rst) begin
            a_state <= A_IDLE;
            outstanding <= 4'd0;
        end else begin
            outstanding <= outstanding + {3'd0, ar_fire} - {3'd0, r_fire && rlast};
            case (a_state)
                A_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        a_row_addr <= cmd_addr;
                        a_rows_left <= cmd_rows;
                        a_state <= A_ROW;
                    end
                A_ROW: begin
                    a_beat <= a_row_addr[ADDR_W-1:3];
                    a_beats_left <= row_beats(a_row_addr[2:0], count_q);
                    a_state <= A_BURST;
                end
                A_BURST:
                    if (ar_fire) begin
                        a_beat <= a_beat + { {(BW-31){1'b0}}, a_len};
                        a_beats_left <= a_beats_left - a_len;
                        if (a_beats_left == a_len) begin
                            if (a_rows_left == 32'd1) begin
                                a_state <= A_IDLE;
                            end else begin
                                a_rows_left <= a_rows_left - 32'd1;
                                a_row_addr <= a_row_addr + stride_q;
                                a_state <= A_ROW;
                            end
                        end
                    end
                default:
                    a_state <= A_IDLE;
            endcase
        end
    end

    // ---------------------------------------------------------------- data side
    reg [1:0]        d_state;
    reg [ADDR_W-1:0] d_row_addr;
    reg [31:0]       d_rows_left;
    reg [30:0]       d_beats_left;
    reg [31:0]       d_left;        // words still to emit in this row
    reg [2:0]        d_skip;        // bytes to drop from the next beat
    reg [127:0]      win;           // byte window, oldest byte at [7:0]
    reg [4:0]        win_bytes;

    assign out_valid = (d_state == D_STREAM) && (win_bytes >= 5'd4);
    assign out_data = win[31:0];
    assign rready = (d_state == D_STREAM) && (d_beats_left != 31'd0) && (win_bytes <= 5'd8);
    wire out_fire = out_valid && out_ready;

    wire [127:0] win_kept = out_fire ? {32'd0, win[127:32]} : win;
    wire [4:0]   kept_bytes = out_fire ? win_bytes - 5'd4 : win_bytes;
    wire [63:0]  beat_bytes = rdata >> {d_skip, 3'b000};
    wire [127:0] win_next = win_kept | ({64'd0, beat_bytes} << {kept_bytes, 3'b000});

    always @(posedge clk) begin
        if (rst) begin
            d_state <= D_IDLE;
        end else begin
            case (d_state)
                D_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        count_q <= cmd_count;
                        stride_q <= cmd_stride;
                        d_row_addr <= cmd_addr;
                        d_rows_left <= cmd_rows;
                        d_state <= D_ROW;
                    end
                D_ROW: begin
                    d_beats_left <= row_beats(d_row_addr[2:0], count_q);
                    d_left <= count_q;
                    d_skip <= d_row_addr[2:0];
                    win <= 128'd0;
                    win_bytes <= 5'd0;
                    d_state <= D_STREAM;
                end
                D_STREAM: begin
                    if (r_fire) begin
                        win <= win_next;
                        win_bytes <= kept_bytes + 5'd8 - {2'd0, d_skip};
                        d_skip <= 3'd0;
                        d_beats_left <= d_beats_left - 31'd1;
                    end else begin
                        win <= win_kept;
                        win_bytes <= kept_bytes;
                    end
                    if (out_fire) begin
                        d_left <= d_left - 32'd1;
                        if (d_left == 32'd1) begin
                            if (d_rows_left == 32'd1) begin
                                d_state <= D_IDLE;
                            end else begin
                                d_rows_left <= d_rows_left - 32'd1;
                                d_row_addr <= d_row_addr + stride_q;
                                d_state <= D_ROW;
                            end
                        end
                    end
                end
                default:
                    d_state <= D_IDLE;
            endcase
        end
    end

    assign cmd_ready = (a_state == A_IDLE) && (d_state == D_IDLE);
endmodule
