// fracfpga static RTL module (copied into every project as is; frac_walker sets its parameters).
// frac_acc_ram: the sums of a K-outer pass (one ACC_WIDTH-bit partial sum per output, in the
// result stage's order), a simple dual-port RAM with a registered read: block RAM on the FPGA.
// The result stage reads an output's sum the cycle before it adds the output's slice to it and
// writes it back two cycles later; an address is read again only in the next K slice.
module frac_acc_ram #(
    parameter DEPTH = 2,
    parameter W = 48,
    parameter AW = (DEPTH > 1) ? $clog2(DEPTH) : 1
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] wa,
    input  wire [W-1:0]  wd,
    input  wire [AW-1:0] ra,
    output reg  [W-1:0]  rq
);
    reg [W-1:0] mem [0:DEPTH-1];
    always @(posedge clk) begin
        if (we)
            mem[wa] <= wd;
        rq <= mem[ra];
    end
endmodule
