// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_desc_check: why a descriptor is refused, from its decoded fields alone (combinational).
// The codes and their order are fpga_model/kernel.py check_descriptor's (ERR_* of
// frac_contract.vh); ERR_OK when the kernel accepts the descriptor. There is no operand check:
// every digit-plane pattern is a legal code. (A descriptor's prefix word is checked here; a
// relative tau is refused only above 2^16, an absolute one from 2^63.)
// Timing: the int32 check's sum a_bits + b_bits + bit_length(k) is split over two cycles: in the
// cycle `pre` (the walker's DECODE, the fields already fetched) the module registers a_bits +
// b_bits and the room C32_MAX_BITS - bit_length(k); `err` (read in CHECK) compares the two, one
// carry chain. The stop ring is compared with each operand's digits, not with their maximum.
// The tau word's range is registered every cycle (an OR over its bits; read in CHECK).
module frac_desc_check #(
    parameter MAX_K = 131072,
    parameter MAX_BITS = 12,
    parameter [31:0] BITS_MASK = 32'h0000115C,
    parameter DGW = 3
) (
    input  wire           clk,
    input  wire           pre,          // register the int32 check's operands
    input  wire [7:0]     pass_id,
    input  wire [31:0]    a_bits,
    input  wire [31:0]    b_bits,
    input  wire [31:0]    m,
    input  wire [31:0]    n,
    input  wire [31:0]    k,
    input  wire           early,
    input  wire [31:0]    stop_ring,
    input  wire [15:0]    prefix,       // the prefix word: q in 15:8, p in 7:0 (0: stop ring)
    input  wire           tau_rel,      // tau relative to the prefix maximum (tau = tau_rel)
    input  wire [63:0]    tau,          // the tau word: tau, or tau_rel (beta * 2^16)
    input  wire           c64,
    input  wire [DGW-1:0] da,
    input  wire [DGW-1:0] db,
    output reg  [7:0]     err
);
    /* verilator lint_off UNUSEDPARAM */
    `include "frac_contract.vh"
    /* verilator lint_on UNUSEDPARAM */

    localparam [31:0] MAX_K_W = MAX_K;
    localparam [31:0] MAX_BITS_W = MAX_BITS;

    // bits of k (its bit length), for the int32 result check
    function [5:0] bit_length(input [31:0] v);
        integer i;
        begin
            bit_length = 6'd0;
            for (i = 0; i < 32; i = i + 1)
                if (v[i])
                    bit_length = i[5:0] + 6'd1;
        end
    endfunction

    wire a_in_set = a_bits <= MAX_BITS_W && BITS_MASK[a_bits[4:0]];
    wire b_in_set = b_bits <= MAX_BITS_W && BITS_MASK[b_bits[4:0]];
    // a_bits + b_bits only matters where both are in the set (at most MAX_BITS < 64)
    reg [6:0] ab_bits;
    reg [7:0] c32_room;                 // C32_MAX_BITS - bit_length(k), two's complement
    always @(posedge clk)
        if (pre) begin
            ab_bits <= {1'b0, a_bits[5:0]} + {1'b0, b_bits[5:0]};
            c32_room <= C32_MAX_BITS[7:0] - {2'd0, bit_length(k)};
        end
    // tau >= 2^63, or tau_rel > 2^16 (the fields hold still from the fetch to CHECK)
    reg       tau_bad;
    always @(posedge clk)
        tau_bad <= tau_rel ? (tau[63:17] != 47'd0 || (tau[16] && tau[15:0] != 16'd0)) : tau[63];
    wire c32_over = $signed({2'b00, ab_bits}) > $signed({c32_room[7], c32_room});
    wire [7:0] pk = prefix[7:0];
    wire [7:0] qk = prefix[15:8];
    wire [7:0] da8 = { {(8-DGW){1'b0}}, da};
    wire [7:0] db8 = { {(8-DGW){1'b0}}, db};
    // an asymmetric prefix needs 1 <= p <= D_a and 1 <= q <= D_b; else the stop ring < rings
    wire bad_prefix = (prefix != 16'd0)
                    ? (pk == 8'd0 || pk > da8 || qk == 8'd0 || qk > db8)
                    : (stop_ring >= { {(32-DGW){1'b0}}, da} && stop_ring >= { {(32-DGW){1'b0}}, db});

    always @* begin
        if (pass_id > PASS_MAX)
            err = ERR_PASS;
        else if (!a_in_set)
            err = ERR_A_BITS;
        else if (!b_in_set)
            err = ERR_B_BITS;
        else if (m == 32'd0 || n == 32'd0)
            err = ERR_SHAPE;
        else if (k == 32'd0 || k > MAX_K_W)
            err = ERR_K;
        else if (early && (bad_prefix || tau_bad))
            err = ERR_EARLY_STOP;
        else if (!c64 && c32_over)
            err = ERR_C32;
        else
            err = ERR_OK;
    end
endmodule
