# needle build: `make` builds build/libneedle.a and ./needle; `make test` builds and runs every test.
# Sources are found by wildcard so that each module only adds files under its own folder.

CC      ?= gcc
OPT     ?= -O3 -march=native
CFLAGS  += $(OPT) -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -fopenmp -Iinclude -Isrc \
           -I/usr/include/x86_64-linux-gnu/openblas-openmp -I/usr/include/cjson -MMD -MP
BLASDIR := /usr/lib/x86_64-linux-gnu/openblas-openmp
LDLIBS  += -L$(BLASDIR) -Wl,-rpath,$(BLASDIR) -lopenblas -lutf8proc -lsqlite3 -lmicrohttpd \
           -lstemmer -lyajl -lcjson -lm -lpthread
LDFLAGS += -fopenmp

BUILD   := build
LIB_SRC := $(filter-out src/cli/%,$(wildcard src/*/*.c src/*/*/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC:= $(wildcard tests/*.c tests/*/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ:= $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test bench clean
all: needle

$(BUILD)/libneedle.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

needle: $(CLI_OBJ) $(BUILD)/libneedle.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libneedle.a $(LDLIBS)

$(BUILD)/needle_tests: $(TEST_OBJ) $(BUILD)/libneedle.a
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(BUILD)/libneedle.a $(LDLIBS)

# Each bench/<name>.c is one benchmark program, build/bench/<name>.
bench: $(BENCH_BIN)
.PRECIOUS: $(BUILD)/bench/%.o

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libneedle.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libneedle.a $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

test: needle $(BUILD)/needle_tests
	@tests/run.sh

clean:
	rm -rf $(BUILD) needle

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_BIN:%=%.d)
