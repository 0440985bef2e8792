# Fuzzing — included by the top Makefile (needs O, CC, ALL_CFLAGS, ALL_LDFLAGS,
# LIBCOMMON, LIBS, PROTO_C from it).
#   make fuzz          build each tests/fuzz/fuzz_NAME.c with clang + libFuzzer +
#                      ASan/UBSan into build/fuzz/ and run it FUZZ_SECONDS (60) each;
#                      new inputs go to build/fuzz/corpus/NAME, crashes to build/fuzz/artifacts/
#   make fuzz-hostile  the randomized hostile pusher (tests/integ/hostile.sh) against a real
#                      kartotekad, FUZZ_PUSHES (50000) pushes instead of make check's 4000;
#                      `make fuzz` runs it after the harnesses (KT_SEED=N replays a run)
#   make fuzz-replay   build the same harnesses with $(CC)/$(ALL_CFLAGS) (-DKT_FUZZ_REPLAY)
#                      into $(O)/fuzz/ and replay tests/fuzz/corpus/NAME/*; fails on a crash
#                      (under BUILD=asan every input also runs under ASan/UBSan)
#
# protobuf-c and UBSan: Debian 12's libprotobuf-c 1.4.1 shifts a tag byte into a signed
# int in parse_tag_and_wiretype() (upstream issue #506), undefined behaviour for tags
# whose field number is over 2^29-1. kt_frame never lets such input reach protobuf-c:
# its wire pre-check (wire_check in common/kt_frame.c) walks every nested message with
# the generated descriptors and rejects any tag over 32 bits first, so replay under the
# normal (uninstrumented .so) build and under BUILD=asan is clean. For `make fuzz` the
# decoder itself must be instrumented (else UBSan could not see #506 and libFuzzer gets
# no coverage inside it), so protobuf-c.c is compiled from Debian's source package,
# fetched once with `apt-get source` through a private deb-src list in build/fuzz/apt
# (made from the mirror the system's own apt sources name)
# (the system's apt configuration is not touched). Offline, use FUZZ_PBC=system to link
# the system library instead (less coverage, #506 invisible). One more defect in that
# file is tolerated: protobuf_c_message_unpack() computes `desc->fields + 0` with
# fields == NULL for messages without fields (Subscribe, Logout) — UBSan's
# pointer-overflow check; benign (NULL + 0), so only that check is off, for protobuf-c.c only.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_PBC     ?= source
FUZZ_O       := build/fuzz
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c17 -D_GNU_SOURCE -O1 -g $(FUZZ_SAN) -Icommon -I$(FUZZ_O)/gen
# The harnesses of client-library and common code link one archive of every common/ and
# client/lib/ source built with the fuzzer's instrumentation (the linker takes what a
# harness needs): no per-harness source lists to fall behind the code they call.
FUZZ_LIB_SRC := $(wildcard common/*.c) $(wildcard client/lib/*.c)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(FUZZ_LIB_SRC)) $(FUZZ_O)/obj/gen/kt_sql_embed.o
FUZZ_LIB     := $(FUZZ_O)/libfuzzkt.a
FUZZ_LIB_CFLAGS = $(filter-out -Werror -I$(O)/gen,$(BASE_CFLAGS)) -O1 -g $(FUZZ_SAN) \
                  -fsanitize=fuzzer-no-link -I$(FUZZ_O)/gen -DCL_SHEET_MAX_CELLS=300000u \
                  -DKARTOTEKA_LOCALEDIR='"$(PREFIX)/share/locale"' -Wno-missing-field-initializers
FUZZ_LIB_LIBS = $(LIBS) $(CLIENT_LIBS)
FUZZ_READERS_CFLAGS = -Iclient/lib
FUZZ_PBC_VER := 1.4.1
FUZZ_PBC_DIR := $(FUZZ_O)/protobuf-c-$(FUZZ_PBC_VER)
FUZZ_APT     := -o Dir::Etc::SourceList=$(CURDIR)/$(FUZZ_O)/apt/sources.list \
                -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$(CURDIR)/$(FUZZ_O)/apt/lists \
                -o Dir::Cache=$(CURDIR)/$(FUZZ_O)/apt/cache
ifeq ($(FUZZ_PBC),source)
  FUZZ_PBC_OBJ  := $(FUZZ_O)/pbc/protobuf-c.o
  FUZZ_PBC_INC  := -I$(FUZZ_PBC_DIR)
  FUZZ_PBC_LIBS :=
else
  FUZZ_PBC_OBJ  :=
  FUZZ_PBC_INC  :=
  FUZZ_PBC_LIBS := -lprotobuf-c
endif

FUZZ_PUSHES  ?= 50000

.PHONY: fuzz fuzz-build fuzz-replay fuzz-hostile
.SECONDARY: $(FUZZ_O)/gen/kartoteka.pb-c.c $(FUZZ_O)/gen/kartoteka.pb-c.h

$(FUZZ_PBC_DIR)/protobuf-c/protobuf-c.c:
	@mkdir -p $(FUZZ_O)/apt/lists/partial $(FUZZ_O)/apt/cache/archives/partial
	@uri=$$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $$2}'); \
	  [ -n "$$uri" ] || uri=$$(grep -hs '^deb ' /etc/apt/sources.list | head -1 | awk '{print $$2}'); \
	  echo "deb-src $$uri bookworm main" > $(FUZZ_O)/apt/sources.list
	apt-get -qq $(FUZZ_APT) update
	cd $(FUZZ_O) && apt-get -qq $(FUZZ_APT) source protobuf-c=$(FUZZ_PBC_VER)-1 \
	  || { echo "fuzz: cannot fetch protobuf-c source; run 'make fuzz FUZZ_PBC=system'"; exit 1; }
	@test -f $@ || { rm -rf $(FUZZ_PBC_DIR); mv $(FUZZ_O)/protobuf-c-$(FUZZ_PBC_VER)* $(FUZZ_PBC_DIR) 2>/dev/null; test -f $@; }
	@touch $@

$(FUZZ_O)/pbc/protobuf-c.o: $(FUZZ_PBC_DIR)/protobuf-c/protobuf-c.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -fno-sanitize=pointer-overflow -w -c $< -o $@

$(FUZZ_O)/gen/%.pb-c.c $(FUZZ_O)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=proto --c_out=$(FUZZ_O)/gen $<

$(FUZZ_O)/obj/%.o: %.c $(FUZZ_O)/gen/kartoteka.pb-c.h
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) $(FUZZ_PBC_INC) -c $< -o $@
$(FUZZ_O)/gen/kt_sql_embed.c: $(SQL_FILES) tools/embed_sql.sh
	@mkdir -p $(dir $@)
	tools/embed_sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@
$(FUZZ_O)/obj/gen/kt_sql_embed.o: $(FUZZ_O)/gen/kt_sql_embed.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -c $< -o $@
$(FUZZ_O)/obj/gen/kartoteka.pb-c.o: $(FUZZ_O)/gen/kartoteka.pb-c.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) $(FUZZ_PBC_INC) -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ) $(FUZZ_O)/obj/gen/kartoteka.pb-c.o $(FUZZ_PBC_OBJ)
	@rm -f $@
	ar rcs $@ $^

# every harness: its own file + the instrumented archive (frame: kt_frame's decoder and
# the generated descriptors; invite: kt_invite and OpenSSL's SHA-256)
$(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_PBC_INC) -Iclient/lib -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) \
	  $(FUZZ_LIB_LIBS)

# the readers' fuzzers: libFuzzer build, and the replay of `make check` (links the client library)
FUZZ_READER_NAMES := vcard ical sheet
$(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_READER_NAMES)): $(FUZZ_O)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_READERS_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_LIB_LIBS)

$(patsubst %,$(O)/fuzz/replay_%,$(FUZZ_READER_NAMES)): $(O)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_replay.h $(LIBCLIENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DKT_FUZZ_REPLAY $(ALL_LDFLAGS) -o $@ $< $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS)

fuzz-build: $(patsubst %,$(FUZZ_O)/fuzz_%,$(FUZZ_NAMES))

fuzz: fuzz-build
	@set -e; for f in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_O)/corpus/$$f $(FUZZ_O)/artifacts; \
	  echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_O)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=70000 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_O)/artifacts/$$f- $(FUZZ_O)/corpus/$$f tests/fuzz/corpus/$$f; \
	done
	@$(MAKE) --no-print-directory fuzz-hostile

# the hostile pusher needs the normal build (kartotekad, kartoteka) of $(BUILD)
fuzz-hostile:
	@$(MAKE) --no-print-directory all
	@echo "fuzz: hostile pushes ($(FUZZ_PUSHES))"
	@KT_PUSHES=$(FUZZ_PUSHES) KT_HOSTILE_SECONDS=0 BUILD=$(BUILD) tests/run.sh hostile

$(O)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_replay.h $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DKT_FUZZ_REPLAY $(ALL_LDFLAGS) -o $@ $< $(LIBCOMMON) $(LIBS)

fuzz-replay: $(patsubst %,$(O)/fuzz/replay_%,$(FUZZ_NAMES))
	@set -e; for f in $(FUZZ_NAMES); do \
	  if [ -d tests/fuzz/corpus/$$f ]; then $(O)/fuzz/replay_$$f tests/fuzz/corpus/$$f; fi; \
	done

# the template parser (issue 19) lives in the client library: its harness
# links cl_tmpl.c with common/ (the model, the registry, ICU for case mapping)
$(FUZZ_O)/fuzz_tmpl: tests/fuzz/fuzz_tmpl.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iclient/lib -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_LIB_LIBS)
$(O)/fuzz/replay_tmpl: tests/fuzz/fuzz_tmpl.c tests/fuzz/fuzz_replay.h client/lib/cl_tmpl.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DKT_FUZZ_REPLAY $(ALL_LDFLAGS) -o $@ $< client/lib/cl_tmpl.c $(LIBCOMMON) $(LIBS)

# the CSV reader (issue 16) is client library code: cl_csv + cl_rowset, with ICU
# (cl_rowset's table links every reader: the same sources as the other readers' fuzzers)
$(FUZZ_O)/fuzz_csv: tests/fuzz/fuzz_csv.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_READERS_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_LIB_LIBS)

$(O)/fuzz/replay_csv: tests/fuzz/fuzz_csv.c tests/fuzz/fuzz_replay.h $(LIBCLIENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DKT_FUZZ_REPLAY $(ALL_LDFLAGS) -o $@ $< $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS)
