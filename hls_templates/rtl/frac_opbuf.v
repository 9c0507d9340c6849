// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_opbuf: the operand buffer of one array row (A) or column (B), broadcast to its tiles.
// It holds one K segment of its line as digit-plane words (memory contract v2): a word is the
// 2-bit digits of PLANE_K = 16 reduction indices for one digit position, written as it
// arrives from DDR at address {chunk16, plane}. On issue (stage 0) the word of the issued
// chunk and plane is read; in stage 1 the chunk's BRICKS lanes are selected from it (BRICKS
// divides PLANE_K, so a chunk never straddles two words) and registered: the block RAM's
// output drives one level of logic into flip-flops, and the tiles' bricks start from a
// register. The pad bit of an odd width (bit 0 of every digit of the bottom plane) is masked
// here; lanes past K were masked when written. Rows/columns outside the current output block
// read as zero digits.
module frac_opbuf #(
    parameter BRICKS = 16,
    parameter PLANE_K = 16,
    parameter PW = 1,                          // plane address bits
    parameter WA = 1,                          // word (16-wide chunk) address bits: one K
                                               // segment of SEG_CHUNKS words, rounded up to 2^WA
    parameter AW = 1,                          // issue chunk address bits (BRICKS-wide chunks)
    parameter LG = 0                           // log2(PLANE_K / BRICKS): chunks per word
) (
    input  wire                clk,
    // loading: one plane word per cycle
    input  wire                wr_en,
    input  wire [WA+PW-1:0]    wr_addr,
    input  wire [2*PLANE_K-1:0] wr_word,
    // stage 0: issue
    input  wire                rd_en,
    input  wire [AW-1:0]       rd_addr,
    input  wire [PW-1:0]       rd_plane,
    // stage 1: lane selection, registered
    input  wire                pad_mask,       // the issued plane is the bottom of an odd width
    input  wire                line_valid,
    output reg  [2*BRICKS-1:0] dig
);
    localparam GROUPS = PLANE_K / BRICKS;

    reg [2*PLANE_K-1:0] mem [0:(1<<(WA+PW))-1];   // at {word, plane}
    reg [2*PLANE_K-1:0] q;

    /* verilator lint_off WIDTHTRUNC */
    wire [WA-1:0] rd_word = rd_addr >> LG;
    /* verilator lint_on WIDTHTRUNC */

    always @(posedge clk) begin
        if (wr_en)
            mem[wr_addr] <= wr_word;
        if (rd_en)
            q <= mem[{rd_word, rd_plane}];
    end

    wire [2*BRICKS-1:0] lanes;
    generate
        if (GROUPS > 1) begin : g_groups
            reg [LG-1:0] group;                // which BRICKS lanes of the word: stage 1
            always @(posedge clk)
                if (rd_en)
                    group <= rd_addr[LG-1:0];
            assign lanes = q[2*BRICKS*group +: 2*BRICKS];
        end else begin : g_one
            assign lanes = q;
        end
    endgenerate

    wire [2*BRICKS-1:0] keep = pad_mask ? { BRICKS{2'b10} } : { BRICKS{2'b11} };
    always @(posedge clk)
        dig <= line_valid ? (lanes & keep) : {2*BRICKS{1'b0}};
endmodule
