// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_acc64: a 64-bit counter or accumulator that meets the timing rule (one carry chain of at
// most 48 bits per register-to-register path, a few LUT levels): the operands add and sub
// (DW-bit, DW <= 31) are registered as they come, their difference is registered next, the low
// half adds it in one 32-bit carry chain and the high half takes the low half's carry or borrow
// one cycle later. The value is exact 4 cycles after the last operand; the walker reads its
// statistics and counters later than that (the STAT record after the result stage is idle and
// the writer has taken its command, the registers after done).
module frac_acc64 #(
    parameter DW = 1
) (
    input  wire          clk,
    input  wire          clr,         // value <= init, over any operand of this cycle
    input  wire          init,
    input  wire [DW-1:0] add,
    input  wire [DW-1:0] sub,
    input  wire          sub_en,      // take sub away (sub itself may be any value otherwise)
    output wire [63:0]   value
);
    reg  [DW-1:0] add_q, sub_q;
    reg           sub_en_q;
    reg  [31:0]   delta;
    reg  [31:0]   lo, hi;
    reg  [1:0]    adj;                // the high half's next step: +1, -1 (2'b11) or 0
    wire [32:0]   lo_sum = {1'b0, lo} + {1'b0, delta};
    // a negative delta is 2^32 + delta in the low half: its carry means no borrow
    wire          neg = delta[31];

    always @(posedge clk) begin
        if (clr) begin
            add_q <= {DW{1'b0}};
            sub_q <= {DW{1'b0}};
            sub_en_q <= 1'b0;
            delta <= 32'd0;
            lo <= {31'd0, init};
            hi <= 32'd0;
            adj <= 2'd0;
        end else begin
            add_q <= add;
            sub_q <= sub;
            sub_en_q <= sub_en;
            delta <= { {(32-DW){1'b0}}, add_q} - (sub_en_q ? { {(32-DW){1'b0}}, sub_q} : 32'd0);
            lo <= lo_sum[31:0];
            adj <= {neg && !lo_sum[32], lo_sum[32] != neg};
            hi <= hi + { {30{adj[1]}}, adj};
        end
    end
    assign value = {hi, lo};
endmodule
