// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_axi_reader: AXI4 read master that streams 32-bit words from a 2-D region of DDR (digit-
// plane words of the operands, descriptor words), two a cycle: a full beat's worth.
// A command reads `rows` rows of `count` words; row r starts at byte address addr + r*stride,
// at any byte alignment, and is made of lines of `line` words (an operand's line segment, a
// descriptor): a transfer never straddles two lines, so the walker's buffers see a line's words
// in pairs from its start. The address side issues one INCR burst per MAX_BURST-beat aligned
// block a row touches (8-byte beats; MAX_BURST a power of two that divides 512, so no burst
// crosses a 4 KB boundary), at most MAX_OUTSTANDING at a time; the data side keeps the beats in
// a two-beat ring, drops the bytes before the start of each row and after its end, and emits
// one transfer per cycle (a beat enters in the cycle the transfer frees its slot, so the
// stream keeps pace with a memory serving a beat per cycle). cmd_ready is high exactly when both sides are idle.
// Timing (one carry chain per register-to-register path): addresses are ADDR_W bits (the
// board's DDR, ArrayConfig's MEM_ADDR_W); a burst's length needs no arithmetic on the address
// (the next burst starts at the next aligned block: an increment of the block number), and a
// transfer is read out of the ring at a byte pointer, so no beat is shifted on its way in.
module frac_axi_reader #(
    parameter ADDR_W = 32,
    parameter MAX_BURST = 16,
    parameter MAX_OUTSTANDING = 4       // 2 or more
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
    input  wire [31:0]       cmd_line,    // words per line; a row is whole lines
    // transfer stream: two words of a line, or a line's odd last word alone
    output wire              out_valid,
    input  wire              out_ready,
    output wire [63:0]       out_data,
    output wire              out_two,     // out_data holds two words (else bits 31:0 only)
    output wire              out_eol,     // the transfer ends its line
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
    localparam LB = $clog2(MAX_BURST);          // beat bits inside an aligned block
    localparam [1:0] A_IDLE = 2'd0, A_ROW = 2'd1, A_BURST = 2'd2;
    localparam [1:0] D_IDLE = 2'd0, D_ROW = 2'd1, D_STREAM = 2'd2;

    // beats that hold `count` words starting at byte address `addr`
    function [31:0] row_beats(input [2:0] offset, input [31:0] count);
        /* verilator lint_off UNUSEDSIGNAL */
        reg [34:0] bytes;             // bits [2:0]: the offset inside the last beat
        /* verilator lint_on UNUSEDSIGNAL */
        begin
            bytes = {1'b0, count, 2'b00} + {32'd0, offset} + 35'd7;
            row_beats = bytes[34:3];
        end
    endfunction

    reg [31:0]       count_q;
    reg [ADDR_W-1:0] stride_q;

    // ---------------------------------------------------------------- address side
    reg [1:0]        a_state;
    reg [ADDR_W-1:0] a_row_addr;
    reg [ADDR_W-1:0] a_bytes_m1;                // bytes of a row, minus one
    reg [31:0]       a_rows_left;
    reg [BW-1:0]     a_beat;                    // the burst's first beat
    reg [BW-1:0]     a_end;                     // the row's last beat
    // bursts issued and not yet ended, as a thermometer (bit i: more than i): its update is one
    // LUT after the handshakes, where a counter's carry chain would follow the walker's ready
    reg [MAX_OUTSTANDING-1:0] outstanding;

    // the row ends inside this burst's aligned block: the burst runs to the row's end, else to
    // the block's end
    wire          a_last = a_end[BW-1:LB] == a_beat[BW-1:LB];
    wire [LB-1:0] a_len_m1 = a_last ? a_end[LB-1:0] - a_beat[LB-1:0] : ~a_beat[LB-1:0];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [ADDR_W-1:0] a_row_last = a_row_addr + a_bytes_m1;
    wire [63:0]       cmd_bytes_m1 = {30'd0, cmd_count, 2'b00} - 64'd1;
    /* verilator lint_on UNUSEDSIGNAL */
    assign arvalid = (a_state == A_BURST) && !outstanding[MAX_OUTSTANDING-1];
    assign araddr = {a_beat, 3'b000};
    assign arlen = { {(8-LB){1'b0}}, a_len_m1};
    wire ar_fire = arvalid && arready;
    wire r_fire = rvalid && rready;
    wire r_done = r_fire && rlast;

    always @(posedge clk) begin
        if (rst) begin
            a_state <= A_IDLE;
            outstanding <= {MAX_OUTSTANDING{1'b0}};
        end else begin
            if (ar_fire && !r_done)
                outstanding <= {outstanding[MAX_OUTSTANDING-2:0], 1'b1};
            else if (r_done && !ar_fire)
                outstanding <= {1'b0, outstanding[MAX_OUTSTANDING-1:1]};
            case (a_state)
                A_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        a_row_addr <= cmd_addr;
                        a_bytes_m1 <= cmd_bytes_m1[ADDR_W-1:0];
                        a_rows_left <= cmd_rows;
                        a_state <= A_ROW;
                    end
                A_ROW: begin
                    a_beat <= a_row_addr[ADDR_W-1:3];
                    a_end <= a_row_last[ADDR_W-1:3];
                    a_state <= A_BURST;
                end
                A_BURST:
                    if (ar_fire) begin
                        a_beat <= {a_beat[BW-1:LB] + { {(BW-LB-1){1'b0}}, 1'b1}, {LB{1'b0}}};
                        if (a_last) begin
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
    // A transfer is two words of one line (word i in bits 31:0, i+1 in 63:32), or the last
    // word of a line of odd length alone: 8 bytes a cycle, what one beat brings. The flags
    // that pick one or two words are registers (the words left in the line compared with
    // small constants a transfer ahead), so no adder feeds the handshake.
    reg [1:0]        d_state;
    reg [ADDR_W-1:0] d_row_addr;
    reg [31:0]       d_rows_left;
    reg              d_last_row;    // d_rows_left == 1
    reg [31:0]       d_beats_left;  // beats of this row still to take
    reg              d_beats_nz;    // d_beats_left != 0
    reg [31:0]       d_rest;        // words of the row after the current line
    reg              d_rest_z;      // d_rest == 0: the current line ends the row
    reg              d_row_end;     // d_eol && d_rest_z: the transfer ends the row
    reg [31:0]       d_lleft;       // words of the current line still to emit
    reg              d_l1, d_l3, d_l4;         // d_lleft == 1, 3, 4
    reg              d_eol;                    // d_lleft <= 2: the transfer ends its line
    reg              ln1, ln2, ln3, ln4;       // line_q == 1, 2, 3, 4 (per command)
    reg [31:0]       line_q;
    reg [63:0]       slot0, slot1;  // the ring: two beats
    reg              d_wslot;       // the slot the next beat goes to
    reg [3:0]        d_rp;          // the next word's first byte in {slot1, slot0}
    reg [1:0]        d_held;        // beats held, from slot d_rp[3] on
    reg              d_avail;       // a transfer is held (registered from the next state)

    // bytes held: 8 * d_held - d_rp[2:0]; a transfer leaves when it holds 8 (two words) or 4
    // (a line's odd last word); a beat enters when a slot is free or is freed in this cycle
    // (a transfer of two words always takes the head slot's last byte)
    wire out_fire = out_valid && out_ready;
    wire eol = d_eol;
    wire head_out = out_fire && (!d_l1 || d_rp[2]);
    assign out_valid = d_avail;
    assign out_two = !d_l1;
    assign out_eol = eol;
    assign rready = (d_state == D_STREAM) && d_beats_nz && (d_held != 2'd2 || head_out);
    wire [2:0] rp_nx = (out_fire && d_l1) ? d_rp[2:0] + 3'd4 : d_rp[2:0];
    wire [1:0] held_nx = d_held + {1'b0, r_fire} - {1'b0, head_out};
    wire       l1_nx = out_fire ? (eol ? ln1 : d_l3) : d_l1;
    wire       avail_nx = held_nx == 2'd2 || (held_nx == 2'd1 && (l1_nx ? rp_nx <= 3'd4
                                                                       : rp_nx == 3'd0));

    wire [255:0] ring2 = {slot1, slot0, slot1, slot0};
    /* verilator lint_off UNUSEDSIGNAL */
    wire [255:0] at_rp = ring2 >> {d_rp, 3'b000};
    /* verilator lint_on UNUSEDSIGNAL */
    assign out_data = at_rp[63:0];

    always @(posedge clk) begin
        if (rst) begin
            d_state <= D_IDLE;
            d_avail <= 1'b0;
        end else begin
            case (d_state)
                D_IDLE:
                    if (cmd_valid && cmd_ready) begin
                        count_q <= cmd_count;
                        stride_q <= cmd_stride;
                        line_q <= cmd_line;
                        ln1 <= cmd_line == 32'd1;
                        ln2 <= cmd_line == 32'd2;
                        ln3 <= cmd_line == 32'd3;
                        ln4 <= cmd_line == 32'd4;
                        d_row_addr <= cmd_addr;
                        d_rows_left <= cmd_rows;
                        d_last_row <= cmd_rows == 32'd1;
                        d_state <= D_ROW;
                    end
                D_ROW: begin
                    d_beats_left <= row_beats(d_row_addr[2:0], count_q);
                    d_beats_nz <= count_q != 32'd0;
                    d_rest <= count_q - line_q;
                    d_rest_z <= count_q == line_q;
                    d_row_end <= (ln1 || ln2) && count_q == line_q;
                    d_lleft <= line_q;
                    {d_l1, d_l3, d_l4} <= {ln1, ln3, ln4};
                    d_eol <= ln1 || ln2;
                    d_rp <= {1'b0, d_row_addr[2:0]};
                    d_wslot <= 1'b0;
                    d_held <= 2'd0;
                    d_avail <= 1'b0;
                    d_state <= D_STREAM;
                end
                D_STREAM: begin
                    if (r_fire) begin
                        if (d_wslot)
                            slot1 <= rdata;
                        else
                            slot0 <= rdata;
                        d_wslot <= !d_wslot;
                        d_beats_left <= d_beats_left - 32'd1;
                        d_beats_nz <= d_beats_left != 32'd1;
                    end
                    d_held <= held_nx;
                    d_avail <= avail_nx && !(out_fire && d_row_end);
                    if (out_fire) begin
                        d_rp <= d_l1 ? d_rp + 4'd4 : d_rp + 4'd8;
                        if (eol) begin
                            d_lleft <= line_q;
                            {d_l1, d_l3, d_l4} <= {ln1, ln3, ln4};
                            d_eol <= ln1 || ln2;
                            d_rest <= d_rest - line_q;
                            d_rest_z <= d_rest == line_q;
                            d_row_end <= (ln1 || ln2) && d_rest == line_q;
                        end else begin
                            d_lleft <= d_lleft - 32'd2;
                            d_l1 <= d_l3;
                            d_eol <= d_l3 || d_l4;
                            d_row_end <= (d_l3 || d_l4) && d_rest_z;
                            d_l3 <= d_lleft == 32'd5;
                            d_l4 <= d_lleft == 32'd6;
                        end
                        if (d_row_end) begin
                            if (d_last_row) begin
                                d_state <= D_IDLE;
                            end else begin
                                d_rows_left <= d_rows_left - 32'd1;
                                d_last_row <= d_rows_left == 32'd2;
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
