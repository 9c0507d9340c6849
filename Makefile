# Two entry points that do all set-up on a fresh Debian machine: `make run` and `make test`.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test setup system-deps clean

# the main job on the embedded default: the ZC706 project, then FracTrain on digits through the
# bit-accurate emulator, with its report (report.json + plots) in reports/fractrain-digits
run: $(STAMP)
	$(BIN)/fracfpga generate --bits 3,4,6,8,12 --board zc706 --tiles 8x8 --out build/zc706
	$(BIN)/fracfpga train --method fractrain --data digits --backend emulator --board zc706 \
	  --bits 3,4,6,8,12 --out reports/fractrain-digits

test: $(STAMP)
	$(BIN)/python -m pytest -q

setup: $(STAMP)

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[train,eda,test]'
	touch $(STAMP)

# Icarus Verilog, g++ and tclsh (the generated Vivado/Vitis Tcl runs under it in the tests, with
# the vendor commands stubbed) come from Debian; installed only when missing and we are root.
system-deps:
	@if ! command -v iverilog >/dev/null || ! command -v g++ >/dev/null || ! command -v tclsh >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && apt-get install -y -q iverilog g++ make tcl; \
	  else \
	    echo "error: iverilog, g++ or tclsh is missing; run 'sudo apt-get install -y iverilog g++ tcl' and retry" >&2; exit 2; \
	  fi; \
	fi

clean:
	rm -rf build $(VENV) .pytest_cache
