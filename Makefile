# needle build: `make` builds build/libneedle.a and ./needle; `make test` builds and runs every test.
# Sources are found by wildcard so that each module only adds files under its own folder.

CC      ?= gcc
# -fno-math-errno: math functions need not set errno (nothing reads it), so loops calling
# sqrtf and friends vectorise; results are unchanged.
OPT     ?= -O3 -march=native -fno-math-errno
CFLAGS  += $(OPT) -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -fopenmp -Iinclude -Isrc \
           -I/usr/include/x86_64-linux-gnu/openblas-openmp -I/usr/include/cjson -MMD -MP
BLASDIR := /usr/lib/x86_64-linux-gnu/openblas-openmp
LDLIBS  += -L$(BLASDIR) -Wl,-rpath,$(BLASDIR) -lopenblas -lutf8proc -lsqlite3 -lmicrohttpd \
           -lstemmer -lyajl -lcjson -lyaml -lm -lpthread
LDFLAGS += -fopenmp

BUILD   := build
LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*/*.c src/*/*/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC:= $(wildcard tests/*.c tests/*/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/static_assets.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ:= $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all test bench clean
all: needle

$(BUILD)/libneedle.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

needle: $(CLI_OBJ) $(BUILD)/libneedle.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libneedle.a $(LDLIBS)

# The tests also parse generated XML/XHTML with expat (an independent well-formedness check).
$(BUILD)/needle_tests: $(TEST_OBJ) $(BUILD)/libneedle.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libneedle.a $(LDLIBS) -lexpat

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Benchmarks: each bench/NAME.c is one program linked with the library (build/bench/NAME).
bench: $(BENCH_BIN)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libneedle.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libneedle.a $(LDLIBS)

# The web page (web/*) is compiled into the binary as a generated C file.
WEB_SRC := $(sort $(wildcard web/*))
$(BUILD)/gen/static_assets.c: $(WEB_SRC) src/server/embed_assets.sh
	@mkdir -p $(dir $@)
	sh src/server/embed_assets.sh $@ $(WEB_SRC)

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c $< -o $@

test: needle $(BUILD)/needle_tests
	@tests/run.sh

clean:
	rm -rf $(BUILD) needle

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)
