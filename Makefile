# callgate: the front door. `make demo` and `make test` work from a fresh clone.
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
BUILD   := build

C_SOURCES := $(wildcard c_src/*.c)
C_HEADERS := $(wildcard c_src/include/callgate/*.h c_src/include/callgate/private/*.h c_src/gen/*.h)
CWARN     := -std=c99 -Wall -Wextra -Wdouble-promotion -Wshadow -Wstrict-prototypes -Werror
CINC      := -Ic_src/include -Ic_src/gen

.PHONY: setup demo demo-dsp test test-c tables bench cross fuzz clean

# The virtual environment with the project installed in editable mode; the cffi extension
# is rebuilt in place whenever the C core or its binding changes.
$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

host/callgate/_dsp.stamp: $(STAMP) $(C_SOURCES) $(C_HEADERS) cffi_build/build_dsp.py $(wildcard cffi_build/cdef/*.h)
	@mkdir -p $(BUILD)
	@$(BIN)/python setup.py -q build_ext --inplace > $(BUILD)/build_ext.log 2>&1 || { cat $(BUILD)/build_ext.log; exit 1; }
	@echo "built callgate._dsp from c_src/ (log: $(BUILD)/build_ext.log)"
	@touch $@

setup: host/callgate/_dsp.stamp
	@tools/need-deb espeak-ng:espeak-ng

# The demo call center on the virtual board, with the operations center (`callgate serve`)
# beside it (host/callgate/demo_center.py; its wallboard address and login are printed); demo-dsp: the DSP
# core alone on WAV files.
demo: setup
	$(BIN)/python -m callgate.demo

demo-dsp: setup
	$(BIN)/python -m callgate.demo dsp

# pytest in 4 workers (pytest-xdist; tests/conftest.py keeps each module on one worker): most
# tests wait on phone lines running in real time, so 4 fit a 2-core machine.
test: setup test-c
	$(BIN)/python c_src/gen/make_tables.py --check
	$(BIN)/python -m pytest -q -n 4
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5

# The firmware side alone: the shared link/firmware tests on the real MicroPython Unix port
# (last line "N passed, N failed"), then the link, firmware and virtual-board pytest suites.
.PHONY: test-firmware sim
test-firmware: setup
	MICROPYPATH=firmware:tests/firmware $(BIN)/micropython tests/firmware/mp_runner.py tests/firmware
	$(BIN)/python -m pytest -q tests/link tests/firmware tests/sim

# Deploys to the virtual board: full, one file, cut off, rollback, refusals, bootstrap
# (docs/deploy.md); deploy-bench times them against mpremote cp.
.PHONY: test-deploy deploy-bench
test-deploy: setup
	$(BIN)/python -m pytest -q tests/deploy
deploy-bench: setup
	$(BIN)/python tools/deploy_bench.py

# A virtual board on this machine; prints its data and REPL ports (docs/virtual-board.md).
sim: setup
	$(BIN)/callgate sim

# The C core alone: strict warnings, as the board compiler will see it; then the C unit
# tests (tests/c/test_*.c, each a program against the core) built the same way and run.
C_TESTS := $(wildcard tests/c/test_*.c)
test-c:
	@mkdir -p $(BUILD)/c
	@for f in $(C_SOURCES); do gcc $(CWARN) -O2 $(CINC) -c $$f -o $(BUILD)/c/$$(basename $$f .c).o || exit 1; done
	@echo "c_src: $(words $(C_SOURCES)) files compile cleanly with $(CWARN)"
	@for t in $(C_TESTS); do gcc $(CWARN) -O2 $(CINC) $$t $(patsubst c_src/%.c,$(BUILD)/c/%.o,$(C_SOURCES)) -lm -o $(BUILD)/c/$$(basename $$t .c) && $(BUILD)/c/$$(basename $$t .c) || exit 1; done

tables:
	$(PYTHON) c_src/gen/make_tables.py

# Cortex-M4F build: code and data size per module (Debian's gcc-arm-none-eabi).
cross:
	@tools/need-deb gcc-arm-none-eabi:arm-none-eabi-gcc
	@tools/cross-size.sh

bench: setup
	@tools/need-deb libspandsp-dev gcc:gcc
	$(BIN)/python bench/run.py
	$(BIN)/python bench/bench_ops.py

# Instructions per sample of every C module and of spandsp's DTMF receiver on the Cortex-M4F
# (QEMU's mps2-an386, counted by a TCG plugin); writes bench/MCU.md.
.PHONY: bench-mcu
$(BUILD)/mcu/insn_plugin.so: bench/mcu/insn_plugin.c
	@mkdir -p $(BUILD)/mcu
	gcc -std=gnu11 -O2 -Wall -Wextra -shared -fPIC $< -o $@
bench-mcu: setup $(BUILD)/mcu/insn_plugin.so
	@tools/need-deb gcc-arm-none-eabi:arm-none-eabi-gcc libnewlib-arm-none-eabi:/usr/lib/arm-none-eabi/newlib/libc.a qemu-system-arm:qemu-system-arm gcc:gcc espeak-ng:espeak-ng
	$(BIN)/python bench/mcu/mcu_bench.py

# libFuzzer targets under ASan/UBSan; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: setup
	@tools/need-deb clang:clang libclang-rt-14-dev
	@tools/fuzz.sh $(FUZZ_SECONDS)

# The test rig (docs/rig.md): plans/full.yaml against a virtual board started for the run, or
# RIG_PORT=P for a board whose lines a far end drives; results in build/rig (report.html,
# junit.xml, WAVs of failing cases). `make test` runs plans/short.yaml (tests/rig).
.PHONY: rig
RIG_PLAN ?= plans/full.yaml
rig: setup
	$(BIN)/callgate $(if $(RIG_PORT),--port $(RIG_PORT)) rig run $(RIG_PLAN) --out $(BUILD)/rig
	$(BIN)/callgate $(if $(RIG_PORT),--port $(RIG_PORT)) rig run plans/callcenter.yaml --out $(BUILD)/rig-callcenter
	$(BIN)/callgate $(if $(RIG_PORT),--port $(RIG_PORT)) rig run plans/callerid.yaml --out $(BUILD)/rig-callerid

# The MCU image (docs/hardware.md): MicroPython's qemu port for boards/$(BOARD)/ (a Cortex-M4F
# gateway MCU on QEMU's mps2-an386) with the _callgate user C module (usermod/) and the frozen
# firmware; prints flash and RAM use. MICROPY_DIR=/path/to/micropython uses a checkout of the
# same commit instead of the snapshot in ../shared/vendor/. Output in build/mcu/$(BOARD)/. The
# script installs its Debian packages (tools/need-deb) once it has found the source.
.PHONY: firmware test-mcu
BOARD ?= qemu-m4f
firmware:
	@tools/mcu-firmware.sh $(BOARD)

# The image on QEMU: boots, _callgate against the host's cffi binding, the firmware imports.
test-mcu: setup firmware
	CALLGATE_MCU_LONG=1 $(BIN)/python -m pytest -q tests/mcu

clean:
	rm -rf $(BUILD) host/callgate/_dsp*.so host/callgate/_dsp.c host/callgate/_dsp.stamp
