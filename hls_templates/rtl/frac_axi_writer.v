// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_axi_writer: AXI4 write master that stores a stream of elements into a 2-D region of DDR.
// A command writes `rows` rows of `count` elements of 2^size bytes (size 0: bytes of the packed
// stop mask, 2: int32 values, 3: int64 values and statistics); row r starts at byte address addr + r*stride, at any byte alignment. Bytes outside the
// rows are never written (WSTRB). The address side issues one INCR burst per MAX_BURST-beat
// aligned block a row touches (MAX_BURST a power of two that divides 512: no burst crosses a
// 4 KB boundary); the data side packs elements into beats and ends a burst (WLAST) at a block's
// last beat or the row's, taking one element per cycle (also while a beat leaves). `idle` is
// high when no command is open and every response is back. Addresses are ADDR_W bits (the
// board's DDR, ArrayConfig's MEM_ADDR_W); burst lengths need no arithmetic on the address.
// The element stream enters a two-entry slice whose in_ready is a register (the slice not full
// and the accepted command still owed an element): an element is taken only for a command the
// writer has accepted and never beyond its rows x count (the walker issues its next command
// after the last element is taken), and no path runs from wready or the byte lanes back to the
// stream's source. The data side takes the slice's head (a register) one element per cycle as
// before; the stream runs up to two elements ahead of it: element e (from 1) of a command
// taken in cycle c0 enters in cycle max(c0 + e, T(e - 2) + 1), T(i) the cycle the data side
// takes element i (fpga_model.pipeline._Walk.write).
module frac_axi_writer #(
    parameter ADDR_W = 32,
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
    localparam LB = $clog2(MAX_BURST);          // beat bits inside an aligned block
    localparam [1:0] S_IDLE = 2'd0, S_ROW = 2'd1, S_RUN = 2'd2;

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

    reg [31:0]       count_q;
    reg [ADDR_W-1:0] stride_q;
    reg [1:0]        size_q;
    reg [15:0]       outstanding;
    reg              out_zero;                  // outstanding == 0
    wire             cmd_fire = cmd_valid && cmd_ready;

    // ---------------------------------------------------------------- address side
    reg [1:0]        a_state;
    reg [ADDR_W-1:0] a_row_addr;
    reg [ADDR_W-1:0] a_bytes_m1;                // bytes of a row, minus one
    reg [31:0]       a_rows_left;
    reg [BW-1:0]     a_beat;                    // the burst's first beat
    reg [BW-1:0]     a_end;                     // the row's last beat

    // the row ends inside this burst's aligned block: the burst runs to the row's end, else to
    // the block's end
    wire          a_last = a_end[BW-1:LB] == a_beat[BW-1:LB];
    wire [LB-1:0] a_len_m1 = a_last ? a_end[LB-1:0] - a_beat[LB-1:0] : ~a_beat[LB-1:0];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ADDR_W-1:0] a_row_last = a_row_addr + a_bytes_m1;
    wire [63:0]       cmd_bytes_m1 = ({32'd0, cmd_count} << cmd_size) - 64'd1;
    /* verilator lint_on UNUSEDSIGNAL */
    assign awvalid = (a_state == S_RUN);
    assign awaddr = {a_beat, 3'b000};
    assign awlen = { {(8-LB){1'b0}}, a_len_m1};
    wire aw_fire = awvalid && awready;
    wire b_fire = bvalid && bready;
    assign bready = 1'b1;

    always @(posedge clk) begin
        if (rst) begin
            a_state <= S_IDLE;
            outstanding <= 16'd0;
            out_zero <= 1'b1;
        end else begin
            if (aw_fire && !b_fire) begin
                outstanding <= outstanding + 16'd1;
                out_zero <= 1'b0;
            end else if (b_fire && !aw_fire) begin
                outstanding <= outstanding - 16'd1;
                out_zero <= outstanding == 16'd1;
            end
            case (a_state)
                S_IDLE:
                    if (cmd_fire) begin
                        a_row_addr <= cmd_addr;
                        a_bytes_m1 <= cmd_bytes_m1[ADDR_W-1:0];
                        a_rows_left <= cmd_rows;
                        a_state <= S_ROW;
                    end
                S_ROW: begin
                    a_beat <= a_row_addr[ADDR_W-1:3];
                    a_end <= a_row_last[ADDR_W-1:3];
                    a_state <= S_RUN;
                end
                S_RUN:
                    if (aw_fire) begin
                        a_beat <= {a_beat[BW-1:LB] + { {(BW-LB-1){1'b0}}, 1'b1}, {LB{1'b0}}};
                        if (a_last) begin
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

    // ---------------------------------------------------------------- element slice
    // Two entries (e0, e1) in a ring: the stream writes at e_wp, the data side reads at e_rp.
    // in_ready (i_rdy) is registered from the next count: below two and the command still owed
    // an element (i_more; i_left / i_rows count the stream's own place in the rows).
    reg [63:0]   e0, e1;
    reg          e_wp, e_rp;
    reg [1:0]    e_cnt;
    reg          e_ne;                      // e_cnt != 0
    reg          i_rdy;
    reg          i_more;                    // the command owes the stream an element
    reg [31:0]   i_left;                    // elements of the stream's row still to take
    reg          i_one;                     // i_left == 1
    reg [31:0]   i_rows;                    // rows the stream has still to take
    reg          i_rows_one;                // i_rows == 1
    reg          count_one;                 // count_q == 1
    assign in_ready = i_rdy;
    wire         push = in_valid && i_rdy;
    wire [63:0]  e_head = e_rp ? e1 : e0;

    // ---------------------------------------------------------------- data side
    // The window is a ring of two beats (slot0, slot1); `head` is the slot that leaves next and
    // `pos` the next free byte lane counted from the head's lane 0, so an element enters at ring
    // lane (8 * head + pos) mod 16 whether or not a beat leaves in the same cycle (a full beat
    // leaving moves the head on by 8 lanes and pos back by 8): no byte is shifted. pos stays
    // below 16: a full beat (pos >= 8) leaves before an element enters behind it.
    reg [1:0]        w_state;
    reg [ADDR_W-1:0] w_row_addr;
    reg [31:0]       w_rows_left;
    reg [31:0]       w_left;        // elements still to take in this row
    reg              w_left_nz;     // w_left != 0
    reg [LB-1:0]     w_blk;         // the next beat's place in its aligned block
    reg [32:0]       w_beats_left;  // beats of this row still to leave
    reg [63:0]       slot0, slot1;
    reg [7:0]        strb0, strb1;
    reg              head;
    reg [3:0]        pos;           // next free byte lane, from the head's lane 0

    wire beat_full = pos[3];
    wire beat_tail = !w_left_nz && (pos != 4'd0);
    wire pos_le8 = !pos[3] || (pos[2:0] == 3'd0);
    assign wvalid = (w_state == S_RUN) && (beat_full || beat_tail);
    assign wdata = head ? slot1 : slot0;
    assign wstrb = head ? strb1 : strb0;
    assign wlast = (&w_blk) || (w_beats_left == 33'd1);
    wire w_fire = wvalid && wready;
    // the slice's head enters every cycle while the row has one: also in the cycle a full beat
    // leaves (the window then holds at most 7 bytes), so a row takes one cycle per element
    wire take = e_ne && (w_state == S_RUN) && w_left_nz && (!beat_full || wready);

    wire [3:0]   elem_bytes = (size_q == 2'd3) ? 4'd8 : (size_q == 2'd2) ? 4'd4 : 4'd1;
    wire [3:0]   pos_kept = w_fire ? (beat_full ? {1'b0, pos[2:0]} : 4'd0) : pos;

    // ring lane j takes byte (j - wpos) mod 16 of the element, wpos = (8 * head + pos) mod 16,
    // when that is below its size: the lanes the next element writes are a register (we_mask,
    // set per row and rotated by the element's size as it enters; a beat leaving moves pos and
    // head, not wpos), its bytes a rotation of the slice's head by pos (muxes, no arithmetic on
    // the lane index)
    reg  [15:0]  we_mask;
    wire [15:0]  elem_lanes = (size_q == 2'd3) ? 16'h00ff : (size_q == 2'd2) ? 16'h000f : 16'h0001;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [31:0]  lanes_row = {elem_lanes, elem_lanes} << w_row_addr[2:0];
    wire [127:0] bytes_rot = {e_head, e_head} << {pos[2:0], 3'b000};
    /* verilator lint_on UNUSEDSIGNAL */
    wire [15:0]  lane_we = take ? we_mask : 16'd0;
    wire [127:0] lane_data = {bytes_rot[127:64], bytes_rot[127:64]};
    integer j;

    always @(posedge clk) begin
        if (rst) begin
            e_wp <= 1'b0;
            e_rp <= 1'b0;
            e_cnt <= 2'd0;
            e_ne <= 1'b0;
            i_rdy <= 1'b0;
            i_more <= 1'b0;
        end else begin
            if (push) begin
                if (e_wp)
                    e1 <= in_data;
                else
                    e0 <= in_data;
                e_wp <= !e_wp;
            end
            if (take)
                e_rp <= !e_rp;
            case ({push, take})
                2'b10: begin
                    e_cnt <= e_cnt + 2'd1;
                    e_ne <= 1'b1;
                end
                2'b01: begin
                    e_cnt <= e_cnt - 2'd1;
                    e_ne <= e_cnt != 2'd1;
                end
                default: ;
            endcase
            // the stream's place: a new command, or an element taken into the slice
            if (cmd_fire) begin
                i_left <= cmd_count;
                i_one <= cmd_count == 32'd1;
                count_one <= cmd_count == 32'd1;
                i_rows <= cmd_rows;
                i_rows_one <= cmd_rows == 32'd1;
                i_more <= (cmd_count != 32'd0) && (cmd_rows != 32'd0);
            end else if (push) begin
                if (i_one) begin
                    i_left <= count_q;
                    i_one <= count_one;
                    i_rows <= i_rows - 32'd1;
                    i_rows_one <= i_rows == 32'd2;
                    if (i_rows_one)
                        i_more <= 1'b0;
                end else begin
                    i_left <= i_left - 32'd1;
                    i_one <= i_left == 32'd2;
                end
            end
            // ready next cycle: the command still owes an element and the slice has room
            i_rdy <= (cmd_fire ? (cmd_count != 32'd0) && (cmd_rows != 32'd0)
                               : i_more && !(push && i_one && i_rows_one))
                     && ((e_cnt == 2'd0) || (e_cnt == 2'd1 && (take || !push))
                         || (e_cnt == 2'd2 && take));
        end
    end

    always @(posedge clk) begin
        if (rst) begin
            w_state <= S_IDLE;
        end else begin
            case (w_state)
                S_IDLE:
                    if (cmd_fire) begin
                        count_q <= cmd_count;
                        stride_q <= cmd_stride;
                        size_q <= cmd_size;
                        w_row_addr <= cmd_addr;
                        w_rows_left <= cmd_rows;
                        w_state <= S_ROW;
                    end
                S_ROW: begin
                    w_left <= count_q;
                    w_left_nz <= count_q != 32'd0;
                    w_blk <= w_row_addr[LB+2:3];
                    w_beats_left <= row_beats(w_row_addr[2:0], count_q, size_q);
                    slot0 <= 64'd0;                    // lanes no element writes read 0
                    slot1 <= 64'd0;
                    strb0 <= 8'd0;
                    strb1 <= 8'd0;
                    head <= 1'b0;
                    pos <= {1'b0, w_row_addr[2:0]};
                    we_mask <= lanes_row[31:16];
                    w_state <= S_RUN;
                end
                S_RUN: begin
                    for (j = 0; j < 8; j = j + 1) begin
                        if (lane_we[j]) begin
                            slot0[8*j +: 8] <= lane_data[8*j +: 8];
                            strb0[j] <= 1'b1;
                        end else if (w_fire && !head) begin
                            strb0[j] <= 1'b0;
                        end
                        if (lane_we[8 + j]) begin
                            slot1[8*j +: 8] <= lane_data[64 + 8*j +: 8];
                            strb1[j] <= 1'b1;
                        end else if (w_fire && head) begin
                            strb1[j] <= 1'b0;
                        end
                    end
                    pos <= pos_kept + (take ? elem_bytes : 4'd0);
                    if (take)
                        we_mask <= (size_q == 2'd3) ? {we_mask[7:0], we_mask[15:8]}
                                 : (size_q == 2'd2) ? {we_mask[11:0], we_mask[15:12]}
                                 : {we_mask[14:0], we_mask[15]};
                    if (w_fire)
                        head <= !head;
                    if (take) begin
                        w_left <= w_left - 32'd1;
                        w_left_nz <= w_left != 32'd1;
                    end
                    if (w_fire) begin
                        w_blk <= w_blk + { {(LB-1){1'b0}}, 1'b1};
                        w_beats_left <= w_beats_left - 33'd1;
                        if (!w_left_nz && pos_le8) begin
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
    assign idle = cmd_ready && out_zero;
endmodule
