// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_brick: one 2b x 2b brick of the recursive digit array.
// Each operand is a raw 2-bit digit pattern plus a sign-mode bit: in signed mode the pattern is a
// two's-complement digit in [-2, 1] (the top digit of a signed operand), else unsigned in [0, 3].
// The product lies in [-6, 9], a 5-bit signed number. The brick is a 64-entry table of these
// products (one level of LUTs), computed at elaboration from the mode-extended digits.
module frac_brick (
    input  wire       x_signed,
    input  wire [1:0] x,
    input  wire       y_signed,
    input  wire [1:0] y,
    output wire [4:0] p
);
    function [319:0] products(input integer entries);   // entry {x_signed, x, y_signed, y}
        integer key;
        reg signed [4:0] xe, ye, pe;
        begin
            products = 320'd0;
            for (key = 0; key < entries; key = key + 1) begin
                xe = { {3{key[5] & key[4]}}, key[4:3]};
                ye = { {3{key[2] & key[1]}}, key[1:0]};
                pe = xe * ye;
                products[5*key +: 5] = pe;
            end
        end
    endfunction

    localparam [319:0] PRODUCTS = products(64);
    wire [5:0] key = {x_signed, x, y_signed, y};

    // the table as 64 entries: synthesis maps it as the one vector would (a LUT6 per product
    // bit), and a simulator reads one element instead of a 5-bit slice at a variable offset
    wire [4:0] table_e [0:63];
    genvar e;
    generate
        for (e = 0; e < 64; e = e + 1) begin : g_entry
            assign table_e[e] = PRODUCTS[5*e +: 5];
        end
    endgenerate
    assign p = table_e[key];
endmodule
