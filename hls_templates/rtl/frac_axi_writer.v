// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_axi_writer: AXI4 write master that stores a stream of elements into a 2-D region of DDR.
// A command writes `rows` rows of `count` elements of 2^size bytes (size 0: bytes of the packed
// stop mask, 2: int32 values, 3: int64 values and statistics); row r starts at byte address addr + r*stride, at any byte alignment. Bytes outside the
// rows are never written (WSTRB). The address side issues INCR bursts of up to MAX_BURST beats
// that never cross a 4 KB boundary; the data side packs elements into beats and splits them
// into the same bursts, taking one element per cycle (also while a beat leaves). `idle` is high
// when no command is open and every response is back.
module frac_axi_writer #(
    parameter ADDR_W = 64,
    parameter MAX_BURST = 16
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
    input  wire [1:0]        cmd_size,
    // element stream
    input  wire              in_valid,
    output wire              in_ready,
    input  wire [63:0]       in_data,
    output wire              idle,
    // AXI4 write address, data and response channels
    output wire [ADDR_W-1:0] awaddr,
    output wire [7:0]        awlen,
    output wire              awvalid,
    input  wire              awready,
    output wire [63:0]       wdata,
    output wire [7:0]        wstrb,
    output wire              wlast,
    output wire              wvalid,
    input  wire              wready,
    input  wire              bvalid,
    output wire              bready
);
    localparam BW = ADDR_W - 3;
    localparam [1:0] S_IDLE = 2'd0, S_ROW = 2'd1, S_RUN = 2'd2;
    localparam [32:0] MAX_BURST_W = MAX_BURST;

    // beats that hold `count` elements starting at byte offset `offset` of a beat
    function [32:0] row_beats(input [2:0] offset, input [31:0] count, input [1:0] size);
        /* verilator lint_off UNUSEDSIGNAL */
        reg [35:0] bytes;             // bits [2:0]: the offset inside the last beat
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            bytes = ({4'd0, count} << size) + {33'd0, offset} + 36'd7;
            row_beats = bytes[35:3];
        end
    endfunction

    function [32:0] burst_beats(input [8:0] page_beat, input [32:0] left);
        reg [32:0] to_page;
        reg [32:0] lim;
        begin
            to_page = 33'd512 - {24'd0, page_beat};
            lim = (to_page < MAX_BURST_W) ? to_page : MAX_BURST_W;
            burst_beats = (left < lim) ? left : lim;
        end
    endfunction

    reg [31:0]       count_q;
    reg [ADDR_W-1:0] stride_q;
    reg [1:0]        size_q;
    reg [15:0]       outstanding;

    // ---------------------------------------------------------------- address side
    reg [1:0]        a_state;
    reg [ADDR_W-1:0] a_row_addr;
    reg [31:0]       a_rows_left;
    reg [BW-1:0]     a_beat;
    reg [32:0]       a_beats_left;

    wire [32:0] a_len = burst_beats(a_beat[8:0], a_beats_left);
    assign awvalid = (a_state == S_RUN);
    assign awaddr = {a_beat, 3'b000};
    assign awlen = a_len[7:0] - 8'd1;
    wire aw_fire = awvalid && awready;
    wire b_fire = bvalid && bready;
    assign bready = 1'b1;

    always @(posedge clk) begin
        if (rst) begin
            a_state <= S_IDLE;
            outstanding <= 16'd0;
        end else begin
            outstanding <= outstanding + {15'd0, aw_fire} - {15'd0, b_fire};
            case (a_state)
                S_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        a_row_addr <= cmd_addr;
                        a_rows_left <= cmd_rows;
                        a_state <= S_ROW;
                    end
                S_ROW: begin
                    a_beat <= a_row_addr[ADDR_W-1:3];
                    a_beats_left <= row_beats(a_row_addr[2:0], count_q, size_q);
                    a_state <= S_RUN;
                end
                S_RUN:
                    if (aw_fire) begin
                        a_beat <= a_beat + { {(BW-33){1'b0}}, a_len};
                        a_beats_left <= a_beats_left - a_len;
                        if (a_beats_left == a_len) begin
                            if (a_rows_left == 32'd1) begin
                                a_state <= S_IDLE;
                            end else begin
                                a_rows_left <= a_rows_left - 32'd1;
                                a_row_addr <= a_row_addr + stride_q;
                                a_state <= S_ROW;
                            end
                        end
                    end
                default:
                    a_state <= S_IDLE;
            endcase
        end
    end

    // ---------------------------------------------------------------- data side
    reg [1:0]        w_state;
    reg [ADDR_W-1:0] w_row_addr;
    reg [31:0]       w_rows_left;
    reg [31:0]       w_left;        // elements still to take in this row
    reg [BW-1:0]     w_beat;
    reg [32:0]       w_beats_left;
    reg [32:0]       w_burst_left;  // 0: the next beat opens a burst
    reg [127:0]      win;           // byte window, lane 0 at [7:0]
    reg [15:0]       win_strb;
    reg [4:0]        pos;           // next free byte lane of the window

    wire beat_full = pos >= 5'd8;
    wire beat_tail = (w_left == 32'd0) && (pos != 5'd0);
    wire [32:0] cur_burst = (w_burst_left == 33'd0) ? burst_beats(w_beat[8:0], w_beats_left)
                                                    : w_burst_left;
    assign wvalid = (w_state == S_RUN) && (beat_full || beat_tail);
    assign wdata = win[63:0];
    assign wstrb = win_strb[7:0];
    assign wlast = cur_burst == 33'd1;
    wire w_fire = wvalid && wready;
    // an element enters every cycle while the row has one: also in the cycle a full beat
    // leaves (the window then holds at most 7 bytes), so a row takes one cycle per element
    assign in_ready = (w_state == S_RUN) && (w_left != 32'd0) && (!beat_full || w_fire);
    wire in_fire = in_valid && in_ready;

    wire [63:0]  elem = (size_q == 2'd3) ? in_data
                      : (size_q == 2'd2) ? {32'd0, in_data[31:0]} : {56'd0, in_data[7:0]};
    wire [7:0]   elem_strb = (size_q == 2'd3) ? 8'hFF : (size_q == 2'd2) ? 8'h0F : 8'h01;
    wire [4:0]   elem_bytes = (size_q == 2'd3) ? 5'd8 : (size_q == 2'd2) ? 5'd4 : 5'd1;

    // the window after this cycle: the leaving beat shifted out, the entering element put in
    wire [127:0] win_kept = w_fire ? {64'd0, win[127:64]} : win;
    wire [15:0]  strb_kept = w_fire ? {8'd0, win_strb[15:8]} : win_strb;
    wire [4:0]   pos_kept = w_fire ? (beat_full ? pos - 5'd8 : 5'd0) : pos;
    wire [127:0] win_next = in_fire ? win_kept | ({64'd0, elem} << {pos_kept, 3'b000}) : win_kept;
    wire [15:0]  strb_next = in_fire ? strb_kept | ({8'd0, elem_strb} << pos_kept) : strb_kept;

    always @(posedge clk) begin
        if (rst) begin
            w_state <= S_IDLE;
        end else begin
            case (w_state)
                S_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        count_q <= cmd_count;
                        stride_q <= cmd_stride;
                        size_q <= cmd_size;
                        w_row_addr <= cmd_addr;
                        w_rows_left <= cmd_rows;
                        w_state <= S_ROW;
                    end
                S_ROW: begin
                    w_left <= count_q;
                    w_beat <= w_row_addr[ADDR_W-1:3];
                    w_beats_left <= row_beats(w_row_addr[2:0], count_q, size_q);
                    w_burst_left <= 33'd0;
                    win <= 128'd0;
                    win_strb <= 16'd0;
                    pos <= {2'd0, w_row_addr[2:0]};
                    w_state <= S_RUN;
                end
                S_RUN: begin
                    win <= win_next;
                    win_strb <= strb_next;
                    pos <= pos_kept + (in_fire ? elem_bytes : 5'd0);
                    if (in_fire)
                        w_left <= w_left - 32'd1;
                    if (w_fire) begin
                        w_beat <= w_beat + { {(BW-1){1'b0}}, 1'b1};
                        w_beats_left <= w_beats_left - 33'd1;
                        w_burst_left <= cur_burst - 33'd1;
                        if (w_left == 32'd0 && pos <= 5'd8) begin
                            if (w_rows_left == 32'd1) begin
                                w_state <= S_IDLE;
                            end else begin
                                w_rows_left <= w_rows_left - 32'd1;
                                w_row_addr <= w_row_addr + stride_q;
                                w_state <= S_ROW;
                            end
                        end
                    end
                end
                default:
                    w_state <= S_IDLE;
            endcase
        end
    end

    assign cmd_ready = (a_state == S_IDLE) && (w_state == S_IDLE);
    assign idle = cmd_ready && (outstanding == 16'd0);
endmodule
