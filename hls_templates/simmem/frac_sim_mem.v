// fracfpga simulation-only HDL (never part of a generated project's kernel).
// frac_sim_mem: an AXI4 slave memory inside the simulation, the DDR window of the kernel, so
// that long runs do not call into Python per beat. Deterministic timing: an accepted read
// burst's beats follow one per cycle; beats are served on BUSY of every PERIOD cycles, one beat
// (R or W) per serving cycle: the memory-port model, whose sustained rate is for reads and
// writes together (BUSY = PERIOD: the bus alone, an R and a W beat every cycle); the pattern
// restarts at each load, so a run's cycles do not depend on the runs before it. The window [BASE, BASE + 8*WORDS) is
// loaded with $fread from LOAD_FILE when `load` pulses (8-byte words, most significant byte
// first) and written with $writememh to DUMP_FILE (words 0 .. dump_words-1) when `dump`
// pulses. rd_bytes and wr_bytes count the bytes of every R beat and every strobed W byte.
module frac_sim_mem #(
    parameter [63:0] BASE = 64'h1000,
    parameter WORDS = 1 << 20,
    parameter BUSY = 1,
    parameter PERIOD = 1,
    parameter LOAD_FILE = "frac_mem_in.bin",
    parameter DUMP_FILE = "frac_mem_out.hex"
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        load,
    input  wire        dump,
    input  wire [31:0] dump_words,
    output reg  [63:0] rd_bytes,
    output reg  [63:0] wr_bytes,
    // AXI4 slave (one ID, INCR bursts of 8-byte beats)
    input  wire [63:0] araddr,
    input  wire [7:0]  arlen,
    input  wire        arvalid,
    output wire        arready,
    output wire [63:0] rdata,
    output wire        rlast,
    output wire        rvalid,
    input  wire        rready,
    input  wire [63:0] awaddr,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [7:0]  awlen,         // bursts end at wlast
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire        awvalid,
    output wire        awready,
    input  wire [63:0] wdata,
    input  wire [7:0]  wstrb,
    input  wire        wlast,
    input  wire        wvalid,
    output wire        wready,
    output wire        bvalid,
    input  wire        bready
);
    localparam AWI = $clog2(WORDS);
    localparam QD = 8;
    reg [63:0] mem [0:WORDS-1];

    // ---------------------------------------------------------------- the port's duty cycle
    reg [31:0] phase;
    localparam [31:0] BUSY_W = BUSY;
    localparam [31:0] LAST_PHASE = PERIOD - 1;
    wire serve = phase < BUSY_W;
    always @(posedge clk)
        phase <= (rst || load || phase == LAST_PHASE) ? 32'd0 : phase + 32'd1;
    // BUSY < PERIOD: the port's rate is for reads and writes together, so a serving cycle moves
    // one beat, R or W; when both could move they take turns (after a read beat a waiting
    // write goes first, after a write beat a read). BUSY = PERIOD: the bus alone, an R and a
    // W beat may pass in the same cycle.
    localparam SHARED = BUSY < PERIOD;
    wire r_fire, w_fire;
    reg  w_first;
    always @(posedge clk)
        if (rst || load)
            w_first <= 1'b0;
        else if (r_fire)
            w_first <= 1'b1;
        else if (w_fire)
            w_first <= 1'b0;

    // ---------------------------------------------------------------- reads: a queue of bursts
    reg [63:0] ar_addr [0:QD-1];
    reg [7:0]  ar_len [0:QD-1];
    reg [2:0]  ar_head, ar_tail;
    reg [3:0]  ar_count;
    reg [7:0]  r_beat;
    assign arready = ar_count < 4'd8;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] r_off = (ar_addr[ar_head] + {53'd0, r_beat, 3'b000} - BASE) >> 3;
    /* verilator lint_on UNUSEDSIGNAL */
    wire w_waits = SHARED && w_first && wvalid && aw_count != 4'd0;
    assign rvalid = ar_count != 4'd0 && serve && !w_waits;
    assign rdata = mem[r_off[AWI-1:0]];
    assign rlast = r_beat == ar_len[ar_head];
    wire ar_fire = arvalid && arready;
    assign r_fire = rvalid && rready;

    // ---------------------------------------------------------------- writes
    reg [63:0] aw_addr [0:QD-1];
    reg [2:0]  aw_head, aw_tail;
    reg [3:0]  aw_count;
    reg [7:0]  w_beat;
    reg [31:0] b_pending;
    assign awready = aw_count < 4'd8;
    assign wready = aw_count != 4'd0 && serve && !(SHARED && r_fire);
    assign bvalid = b_pending != 32'd0;
    wire aw_fire = awvalid && awready;
    assign w_fire = wvalid && wready;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [63:0] w_off = (aw_addr[aw_head] + {53'd0, w_beat, 3'b000} - BASE) >> 3;
    /* verilator lint_on UNUSEDSIGNAL */

    function [63:0] merge(input [63:0] old, input [63:0] data, input [7:0] strb);
        integer j;
        begin
            for (j = 0; j < 8; j = j + 1)
                merge[8*j +: 8] = strb[j] ? data[8*j +: 8] : old[8*j +: 8];
        end
    endfunction

    function [3:0] ones(input [7:0] v);
        integer j;
        begin
            ones = 4'd0;
            for (j = 0; j < 8; j = j + 1)
                ones = ones + {3'd0, v[j]};
        end
    endfunction

    always @(posedge clk) begin
        if (rst) begin
            ar_head <= 3'd0; ar_tail <= 3'd0; ar_count <= 4'd0; r_beat <= 8'd0;
            aw_head <= 3'd0; aw_tail <= 3'd0; aw_count <= 4'd0; w_beat <= 8'd0;
            b_pending <= 32'd0;
        end else begin
            if (ar_fire) begin
                ar_addr[ar_tail] <= araddr;
                ar_len[ar_tail] <= arlen;
                ar_tail <= ar_tail + 3'd1;
            end
            if (r_fire) begin
                rd_bytes <= rd_bytes + 64'd8;
                if (rlast) begin
                    ar_head <= ar_head + 3'd1;
                    r_beat <= 8'd0;
                end else begin
                    r_beat <= r_beat + 8'd1;
                end
            end
            ar_count <= ar_count + {3'd0, ar_fire} - {3'd0, r_fire && rlast};

            if (aw_fire) begin
                aw_addr[aw_tail] <= awaddr;
                aw_tail <= aw_tail + 3'd1;
            end
            if (w_fire) begin
                mem[w_off[AWI-1:0]] <= merge(mem[w_off[AWI-1:0]], wdata, wstrb);
                wr_bytes <= wr_bytes + {60'd0, ones(wstrb)};
                if (wlast) begin
                    aw_head <= aw_head + 3'd1;
                    w_beat <= 8'd0;
                end else begin
                    w_beat <= w_beat + 8'd1;
                end
            end
            aw_count <= aw_count + {3'd0, aw_fire} - {3'd0, w_fire && wlast};
            b_pending <= b_pending + {31'd0, w_fire && wlast} - {31'd0, bvalid && bready};
        end
        if (load) begin
            rd_bytes <= 64'd0;
            wr_bytes <= 64'd0;
        end
    end

    // the window's files (the test bench's side; nothing here is hardware)
    integer fd;
    /* verilator lint_off UNUSEDSIGNAL */
    integer got;  // bytes read: the file may be shorter than the window
    /* verilator lint_on UNUSEDSIGNAL */
    /* verilator lint_off BLKSEQ */
    always @(posedge clk) begin
        if (load) begin
            fd = $fopen(LOAD_FILE, "rb");
            got = $fread(mem, fd);
            $fclose(fd);
        end
        if (dump)
            $writememh(DUMP_FILE, mem, 0, dump_words - 1);
    end
    /* verilator lint_on BLKSEQ */
endmodule
