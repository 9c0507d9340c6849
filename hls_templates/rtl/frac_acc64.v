// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_acc64: a 64-bit counter or accumulator that meets the timing rule (one carry chain of at
// most 48 bits per register-to-register path): the low half adds the signed difference
// add - sub (DW-bit operands, DW <= 31) in one 32-bit carry chain, the high half takes the low
// half's carry or borrow one cycle later. With DELTA_REG = 1 the difference is registered first
// (its own carry chain), so the value is exact 3 cycles after the last operand, else (sub
// unused) 2 cycles after; the walker reads its statistics and counters later than that (the STAT
// record after the result stage is idle, the registers after done).
module frac_acc64 #(
    parameter DW = 1,
    parameter DELTA_REG = 0
) (
    input  wire          clk,
    input  wire          clr,         // value <= init, over any operand of this cycle
    input  wire          init,
    input  wire [DW-1:0] add,
    input  wire [DW-1:0] sub,
    output wire [63:0]   value
);
    reg  [31:0] lo, hi;
    reg  [1:0]  adj;                  // the high half's next step: +1, -1 (2'b11) or 0
    wire [31:0] delta_now = {{(32-DW){1'b0}}, add} - {{(32-DW){1'b0}}, sub};
    wire [31:0] delta;
    generate
        if (DELTA_REG) begin : g_reg
            reg [31:0] delta_q;
            always @(posedge clk)
                delta_q <= clr ? 32'd0 : delta_now;
            assign delta = delta_q;
        end else begin : g_direct
            assign delta = {{(32-DW){1'b0}}, add};
            /* verilator lint_off UNUSEDSIGNAL */
            wire unused = |{delta_now, sub};
            /* verilator lint_on UNUSEDSIGNAL */
        end
    endgenerate
    wire [32:0] lo_sum = {1'b0, lo} + {1'b0, delta};
    // a negative delta is 2^32 + delta in the low half: its carry means no borrow
    wire        neg = DELTA_REG ? delta[31] : 1'b0;

    always @(posedge clk) begin
        if (clr) begin
            lo <= {31'd0, init};
            hi <= 32'd0;
            adj <= 2'd0;
        end else begin
            lo <= lo_sum[31:0];
            adj <= {neg && !lo_sum[32], lo_sum[32] != neg};
            hi <= hi + {{30{adj[1]}}, adj};
        end
    end
    assign value = {hi, lo};
endmodule
