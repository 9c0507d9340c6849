// fracfpga simulation-only HDL (never part of a generated project's kernel).
// frac_sim_top: the kernel (frac_array_top) with its DDR window served by frac_sim_mem inside
// the simulation and its clock made here (a period of 2*HALF_PERIOD time units), so that no
// test-bench code runs per cycle; the AXI4-Lite control port, reset and interrupt stay outside
// for the test bench, which watches ap_clk. `load`/`dump` move the window between files and the
// memory (see frac_sim_mem); rd_bytes/wr_bytes count the bytes on the kernel's AXI bus.
module frac_sim_top #(
    parameter CTRL_AW = 7,
    parameter HALF_PERIOD = 5,
    parameter [63:0] BASE = 64'h1000,
    parameter WORDS = 1 << 20,
    parameter BUSY = 1,
    parameter PERIOD = 1,
    parameter SEG_CHUNKS = 0    // the kernel's K segment: build_rtl passes fpga_model's value
) (
    input  wire               ap_rst_n,
    /* verilator lint_off SYMRSVDWORD */
    output wire               interrupt,
    /* verilator lint_on SYMRSVDWORD */
    input  wire [CTRL_AW-1:0] s_axi_control_AWADDR,
    input  wire               s_axi_control_AWVALID,
    output wire               s_axi_control_AWREADY,
    input  wire [31:0]        s_axi_control_WDATA,
    input  wire [3:0]         s_axi_control_WSTRB,
    input  wire               s_axi_control_WVALID,
    output wire               s_axi_control_WREADY,
    output wire [1:0]         s_axi_control_BRESP,
    output wire               s_axi_control_BVALID,
    input  wire               s_axi_control_BREADY,
    input  wire [CTRL_AW-1:0] s_axi_control_ARADDR,
    input  wire               s_axi_control_ARVALID,
    output wire               s_axi_control_ARREADY,
    output wire [31:0]        s_axi_control_RDATA,
    output wire [1:0]         s_axi_control_RRESP,
    output wire               s_axi_control_RVALID,
    input  wire               s_axi_control_RREADY,
    input  wire               load,
    input  wire               dump,
    input  wire [31:0]        dump_words,
    output wire [63:0]        rd_bytes,
    output wire [63:0]        wr_bytes
);
    generate
        if (SEG_CHUNKS < 1) begin : g_no_segment
            initial begin
                $display("frac_sim_top: set SEG_CHUNKS (fpga_model.wall.seg_chunks)");
                $finish;
            end
        end
    endgenerate

    reg ap_clk;
    initial begin
        ap_clk = 1'b0;
        forever #HALF_PERIOD ap_clk = !ap_clk;
    end

    wire [0:0]  awid, arid;
    wire [63:0] awaddr, araddr, wdata, rdata;
    wire [7:0]  awlen, arlen, wstrb;
    wire [2:0]  awsize, arsize, awprot, arprot;
    wire [1:0]  awburst, arburst;
    wire [3:0]  awcache, arcache;
    wire        awvalid, awready, wlast, wvalid, wready, bvalid, bready;
    wire        arvalid, arready, rlast, rvalid, rready;

    frac_array_top #(
        .C_S_AXI_CONTROL_ADDR_WIDTH(CTRL_AW), .SEG_CHUNKS(SEG_CHUNKS)
    ) u_kernel (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .interrupt(interrupt),
        .s_axi_control_AWADDR(s_axi_control_AWADDR), .s_axi_control_AWVALID(s_axi_control_AWVALID),
        .s_axi_control_AWREADY(s_axi_control_AWREADY), .s_axi_control_WDATA(s_axi_control_WDATA),
        .s_axi_control_WSTRB(s_axi_control_WSTRB), .s_axi_control_WVALID(s_axi_control_WVALID),
        .s_axi_control_WREADY(s_axi_control_WREADY), .s_axi_control_BRESP(s_axi_control_BRESP),
        .s_axi_control_BVALID(s_axi_control_BVALID), .s_axi_control_BREADY(s_axi_control_BREADY),
        .s_axi_control_ARADDR(s_axi_control_ARADDR), .s_axi_control_ARVALID(s_axi_control_ARVALID),
        .s_axi_control_ARREADY(s_axi_control_ARREADY), .s_axi_control_RDATA(s_axi_control_RDATA),
        .s_axi_control_RRESP(s_axi_control_RRESP), .s_axi_control_RVALID(s_axi_control_RVALID),
        .s_axi_control_RREADY(s_axi_control_RREADY),
        .m_axi_gmem_AWID(awid), .m_axi_gmem_AWADDR(awaddr), .m_axi_gmem_AWLEN(awlen),
        .m_axi_gmem_AWSIZE(awsize), .m_axi_gmem_AWBURST(awburst), .m_axi_gmem_AWCACHE(awcache),
        .m_axi_gmem_AWPROT(awprot), .m_axi_gmem_AWVALID(awvalid), .m_axi_gmem_AWREADY(awready),
        .m_axi_gmem_WDATA(wdata), .m_axi_gmem_WSTRB(wstrb), .m_axi_gmem_WLAST(wlast),
        .m_axi_gmem_WVALID(wvalid), .m_axi_gmem_WREADY(wready),
        .m_axi_gmem_BID(1'b0), .m_axi_gmem_BRESP(2'b00), .m_axi_gmem_BVALID(bvalid),
        .m_axi_gmem_BREADY(bready),
        .m_axi_gmem_ARID(arid), .m_axi_gmem_ARADDR(araddr), .m_axi_gmem_ARLEN(arlen),
        .m_axi_gmem_ARSIZE(arsize), .m_axi_gmem_ARBURST(arburst), .m_axi_gmem_ARCACHE(arcache),
        .m_axi_gmem_ARPROT(arprot), .m_axi_gmem_ARVALID(arvalid), .m_axi_gmem_ARREADY(arready),
        .m_axi_gmem_RID(1'b0), .m_axi_gmem_RRESP(2'b00), .m_axi_gmem_RDATA(rdata),
        .m_axi_gmem_RLAST(rlast), .m_axi_gmem_RVALID(rvalid), .m_axi_gmem_RREADY(rready)
    );

    frac_sim_mem #(.BASE(BASE), .WORDS(WORDS), .BUSY(BUSY), .PERIOD(PERIOD)) u_mem (
        .clk(ap_clk), .rst(!ap_rst_n), .load(load), .dump(dump), .dump_words(dump_words),
        .rd_bytes(rd_bytes), .wr_bytes(wr_bytes),
        .araddr(araddr), .arlen(arlen), .arvalid(arvalid), .arready(arready),
        .rdata(rdata), .rlast(rlast), .rvalid(rvalid), .rready(rready),
        .awaddr(awaddr), .awlen(awlen), .awvalid(awvalid), .awready(awready),
        .wdata(wdata), .wstrb(wstrb), .wlast(wlast), .wvalid(wvalid), .wready(wready),
        .bvalid(bvalid), .bready(bready)
    );
endmodule
