// fracfpga static RTL module (copied into every project as is; frac_array_top sets its parameters).
// frac_opbuf: the operand buffer of one array row (A) or column (B), broadcast to its tiles.
// It holds one K segment of its line as digit-plane words (memory contract v2): a word is the
// 2-bit digits of PLANE_K = 16 reduction indices for one digit position, written as it
// arrives from DDR at word address {chunk16, plane}. The reader brings two consecutive words of
// a line per cycle, so the words are kept in two banks of half the depth: word (w, p) lies in
// bank (w[0] & odd) ^ p[0] (odd: the operand has an odd digit count) at {w, p} >> 1, and any
// two words that follow each other in a line, (w, p) (w, p + 1) or (w, D - 1) (w + 1, 0), lie
// in different banks; the walker sorts each transfer's words into them. On issue (stage 0)
// both banks are read at the issued chunk and plane's address and the bank is registered; in
// stage 1 the word is picked and the chunk's BRICKS lanes are selected from it (BRICKS
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
    // loading: up to one plane word per bank and cycle, at its bank address ({w, p} >> 1)
    input  wire                wr_en0,
    input  wire [WA+PW-2:0]    wr_addr0,
    input  wire [2*PLANE_K-1:0] wr_word0,
    input  wire                wr_en1,
    input  wire [WA+PW-2:0]    wr_addr1,
    input  wire [2*PLANE_K-1:0] wr_word1,
    input  wire                odd,            // the loaded operand has an odd digit count
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

    reg [2*PLANE_K-1:0] mem0 [0:(1<<(WA+PW-1))-1];   // the two banks, at {word, plane} >> 1
    reg [2*PLANE_K-1:0] mem1 [0:(1<<(WA+PW-1))-1];
    reg [2*PLANE_K-1:0] q0, q1;
    reg                 qbank;

    /* verilator lint_off WIDTHTRUNC */
    wire [WA-1:0] rd_word = rd_addr >> LG;
    /* verilator lint_on WIDTHTRUNC */
    /* verilator lint_off UNUSEDSIGNAL */
    wire [WA+PW-1:0] rd_wp = {rd_word, rd_plane};
    /* verilator lint_on UNUSEDSIGNAL */

    always @(posedge clk) begin
        if (wr_en0)
            mem0[wr_addr0] <= wr_word0;
        if (wr_en1)
            mem1[wr_addr1] <= wr_word1;
        if (rd_en) begin
            q0 <= mem0[rd_wp[WA+PW-1:1]];
            q1 <= mem1[rd_wp[WA+PW-1:1]];
            qbank <= (rd_word[0] & odd) ^ rd_plane[0];
        end
    end
    wire [2*PLANE_K-1:0] q = qbank ? q1 : q0;

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
