# Seal registry: one non-recursive Makefile.
#
# Each source folder builds one static library from its *.c files; a file that
# defines `int main(` is a program instead and lands in $(BIN)/.  Tests are
# tests/<folder>/test_*.c (cmocka), one executable each.  Nothing here needs to
# be edited when a module is added.
#
#   make            build everything            make test        whole suite
#   make check-asan the suite under ASan+UBSan   make bench       benchmarks
#   make run        demo registry + daemon      make install     PREFIX/DESTDIR

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
BIN     ?= bin
CC      ?= cc
SAN     ?=

PKGS := lmdb libevent libevent_pthreads libevent_openssl openssl libqrencode zbar \
        libpng libjpeg jansson freetype2

OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
CFLAGS   += -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wno-missing-field-initializers -pthread -D_GNU_SOURCE \
            -fno-strict-aliasing -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
DEPFLAGS  = -MMD -MP

# Link order: users before what they use.
LIBDIRS := server import verify registry common

is_prog  = $(shell grep -lE '^(int )?main\b' $(wildcard $(1)/*.c) 2>/dev/null)
$(foreach d,$(LIBDIRS),$(eval PROG_SRC_$(d) := $(call is_prog,$(d))))
$(foreach d,$(LIBDIRS),$(eval LIB_SRC_$(d) := $(filter-out $(PROG_SRC_$(d)),$(wildcard $(d)/*.c))))

LIBS      := $(foreach d,$(LIBDIRS),$(BUILD)/lib$(d).a)
PROG_SRC  := $(foreach d,$(LIBDIRS),$(PROG_SRC_$(d)))
PROGS     := $(patsubst %.c,$(BIN)/%,$(notdir $(PROG_SRC)))
TEST_SRC  := $(wildcard tests/*/test_*.c)
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TESTSUP   := $(wildcard tests/support/*.c)
TESTSUP_O := $(patsubst %.c,$(BUILD)/%.o,$(TESTSUP))
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ      := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOL_SRC))
BENCH_SRC := $(wildcard bench/*.c)
BENCHES   := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

ALL_SRC := $(foreach d,$(LIBDIRS),$(wildcard $(d)/*.c)) $(TEST_SRC) $(TESTSUP) $(FUZZ_SRC) \
           $(BENCH_SRC) $(TOOL_SRC) tests/fuzz/replay.c

# Keep objects that pattern rules made on the way (tests, tools, fuzz targets).
.SECONDARY:

.PHONY: all deps test check check-asan bench bench-match run install clean format tests fuzz
all: deps-build $(PROGS)

deps-build:
	@scripts/deps.sh build
.PHONY: deps-build

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

define LIB_RULE
$(BUILD)/lib$(1).a: $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC_$(1)))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^ $$(if $$^,,$$(BUILD)/empty.o)
endef
$(foreach d,$(LIBDIRS),$(eval $(call LIB_RULE,$(d))))

$(BUILD)/empty.o:
	@mkdir -p $(BUILD)
	echo 'typedef int seal_empty_unit;' | $(CC) -x c -c - -o $@
$(foreach d,$(LIBDIRS),$(if $(LIB_SRC_$(d)),,$(eval $(BUILD)/lib$(d).a: $(BUILD)/empty.o)))

define PROG_RULE
$(BIN)/$(notdir $(basename $(1))): $(BUILD)/$(basename $(1)).o $(LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$< $(LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROG_SRC),$(eval $(call PROG_RULE,$(p))))

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(TESTSUP_O) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TESTSUP_O) $(LIBS) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTSUP_O) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TESTSUP_O) $(LIBS) $(LDLIBS) -lcmocka

$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/fuzz/replay.o $(LIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

tests: all $(TESTS) $(FUZZ) $(TOOLS)

# The README's test command.  Unit tests, fuzz-corpus replay, integration tests
# against a real daemon and browser tests; closes with "N passed, N failed".
test: deps-test tests
	@BIN=$(BIN) BUILD=$(BUILD) tests/run.sh

deps-test:
	@scripts/deps.sh test browser
.PHONY: deps-test

check: test

# The whole suite again under AddressSanitizer + UBSan, in its own build tree.
check-asan:
	@$(MAKE) --no-print-directory SAN=1 OPT=-O1 BUILD=build/asan BIN=build/asan/bin test

# Real fuzzing (not part of `make` or `make test`): every tests/fuzz/fuzz_*.c
# linked with libFuzzer under ASan+UBSan into $(BUILD)/libfuzzer/; then e.g.
#   build/libfuzzer/fuzz_image -max_total_time=180 -max_len=20000 tests/fuzz/corpus/image
FUZZ_CC ?= clang
fuzz:
	@mkdir -p $(BUILD)/libfuzzer
	@set -e; for f in $(FUZZ_SRC); do \
	  echo "$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $$f"; \
	  $(FUZZ_CC) -std=c11 -g -O1 -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -o $(BUILD)/libfuzzer/$$(basename $$f .c) $$f $(LIB_SRC_verify) $(LIB_SRC_common) $(LDLIBS); \
	done

bench: all $(BENCHES)
	@scripts/deps.sh bench
	@BIN=$(BIN) BUILD=$(BUILD) bench/run.sh

bench-match: all
	@scripts/deps.sh bench
	@BIN=$(BIN) BUILD=$(BUILD) bench/match.sh

run: all
	@scripts/run-demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/sealreg/web-static
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	cp -R web-static/. $(DESTDIR)$(PREFIX)/share/sealreg/web-static/

format:
	clang-format -i $(ALL_SRC) $(wildcard */*.h)

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
