# Kartoteka — top-level build. Objects per configuration in build/$(BUILD)/.
#   make run [DEMO=1]: the local office (DEMO=1: a new profile gets the demo base)
#   make [all] · check · asan · bench · fuzz (· fuzz-hostile) · run · demo · install (PREFIX, DESTDIR) · testssl · clean
BUILD   ?= debug
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
O       := build/$(BUILD)

PKGS    := sqlite3 icu-uc icu-i18n libuv libssl libcrypto libprotobuf-c libargon2 libical
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
           -Wno-unused-parameter
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -pthread $(WARN) -Icommon -Iclient/lib -Iserver -I$(O)/gen \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -pthread
# what only the client library needs (the server does not link it)
CLIENT_LIBS := $(shell pkg-config --libs xlsxwriter 2>/dev/null)
# mailings and documents (issue 19): libcurl SMTP, libzip + libxml2 for ODT/DOCX
CLIENT_LIBS += $(shell pkg-config --libs libcurl libzip libxml-2.0 2>/dev/null)
BASE_CFLAGS += $(shell pkg-config --cflags libcurl libzip libxml-2.0 2>/dev/null)

ifeq ($(BUILD),debug)
  CFLAGS_B := -O1 -g
else ifeq ($(BUILD),asan)
  CFLAGS_B := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS_B := -fsanitize=address,undefined
else ifeq ($(BUILD),release)
  CFLAGS_B := -O2 -g -DNDEBUG
else ifeq ($(BUILD),tsan)
  CFLAGS_B := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
  LDFLAGS_B := -fsanitize=thread
endif
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS_B) $(CFLAGS)
ALL_LDFLAGS := $(LDFLAGS_B) $(LDFLAGS)

# ---- sources -------------------------------------------------------------
COMMON_SRC := $(wildcard common/*.c)
CLLIB_SRC  := $(wildcard client/lib/*.c)
CLI_SRC    := $(wildcard client/cli/*.c)
SRV_SRC    := $(wildcard server/*.c)
SQL_FILES  := $(sort $(wildcard common/sql/*.sql))
PROTO      := $(wildcard proto/*.proto)
PROTO_C    := $(patsubst proto/%.proto,$(O)/gen/%.pb-c.c,$(PROTO))
GEN_C      := $(O)/gen/kt_sql_embed.c $(PROTO_C)

COMMON_OBJ := $(patsubst %.c,$(O)/%.o,$(COMMON_SRC)) $(patsubst %.c,%.o,$(GEN_C))
CLLIB_OBJ  := $(patsubst %.c,$(O)/%.o,$(CLLIB_SRC))
CLI_OBJ    := $(patsubst %.c,$(O)/%.o,$(CLI_SRC))
SRV_OBJ    := $(patsubst %.c,$(O)/%.o,$(SRV_SRC))

LIBCOMMON  := $(O)/libktcommon.a
LIBCLIENT  := $(O)/libkartoteka.a
BIN_CLI    := $(O)/bin/kartoteka
BIN_SRV    := $(O)/bin/kartotekad

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
TLIB_SRC   := $(wildcard tests/lib/*.c)
BENCH_SRC  := $(wildcard tests/bench/*.c)
BENCH_BIN  := $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRC))

.PHONY: all deps check unit asan bench run demo install clean deb testssl
all: $(BIN_CLI) $(if $(SRV_SRC),$(BIN_SRV)) $(UNIT_BIN) $(patsubst tests/fuzz/fuzz_%.c,$(O)/fuzz/replay_%,$(wildcard tests/fuzz/fuzz_*.c))

deps:
	@installer/deps.sh

$(O)/gen/kt_sql_embed.c: $(SQL_FILES) tools/embed_sql.sh
	@mkdir -p $(dir $@)
	tools/embed_sql.sh $(SQL_FILES) > $@.tmp && mv $@.tmp $@

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=proto --c_out=$(O)/gen $<

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# generated code is not held to our warning set
$(O)/gen/%.o: $(O)/gen/%.c
	@echo "  CC    $<"
	@$(CC) $(ALL_CFLAGS) -Wno-error -w -c $< -o $@

$(COMMON_OBJ) $(CLLIB_OBJ) $(CLI_OBJ) $(SRV_OBJ): | $(PROTO_C)

$(LIBCOMMON): $(COMMON_OBJ)
	@rm -f $@; ar rcs $@ $^
$(LIBCLIENT): $(CLLIB_OBJ)
	@rm -f $@; ar rcs $@ $^

# only the CLI front end talks to the desktop (libnotify/GLib); the library never does
NOTIFY_CFLAGS := $(shell pkg-config --cflags libnotify 2>/dev/null)
NOTIFY_LIBS   := $(shell pkg-config --libs libnotify 2>/dev/null)
$(CLI_OBJ): ALL_CFLAGS += $(NOTIFY_CFLAGS) -DKARTOTEKA_LOCALEDIR='"$(PREFIX)/share/locale"'

$(BIN_CLI): $(CLI_OBJ) $(LIBCLIENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJ) $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS) $(NOTIFY_LIBS)

$(BIN_SRV): $(SRV_OBJ) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $(SRV_OBJ) $(LIBCOMMON) $(LIBS)

# ---- the desktop app (client/gtk): GTK 4 + libadwaita, on the client library only --------
GTK_PKGS   := gtk4 libadwaita-1
HAVE_GTK   := $(shell pkg-config --exists $(GTK_PKGS) 2>/dev/null && echo 1)
GTK_SRC    := $(wildcard client/gtk/*.c)
GTK_OBJ    := $(patsubst %.c,$(O)/%.o,$(GTK_SRC))
BIN_GTK    := $(O)/bin/kartoteka-gtk
$(GTK_OBJ): ALL_CFLAGS += $(shell pkg-config --cflags $(GTK_PKGS) 2>/dev/null) \
  -DKARTOTEKA_LOCALEDIR='"$(PREFIX)/share/locale"' -Wno-missing-field-initializers
$(GTK_OBJ): | $(PROTO_C)
$(BIN_GTK): $(GTK_OBJ) $(LIBCLIENT) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $(GTK_OBJ) $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS) \
	  $(shell pkg-config --libs $(GTK_PKGS))
# the languages of the app and the CLI: po/LL.po -> $(O)/share/locale/LL/LC_MESSAGES/kartoteka.mo
# (both look in ../share/locale beside their binary, kt_i18n.c); `make pot` refreshes
# po/kartoteka.pot and merges po/*.po
PO_FILES   := $(wildcard po/*.po)
MO_FILES   := $(patsubst po/%.po,$(O)/share/locale/%/LC_MESSAGES/kartoteka.mo,$(PO_FILES))
TOOL_REGSTR := $(O)/tools/registry_strings
$(O)/share/locale/%/LC_MESSAGES/kartoteka.mo: po/%.po
	@mkdir -p $(dir $@)
	@msgfmt -c -o $@ $<
$(TOOL_REGSTR): tools/registry_strings.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBCOMMON) $(LIBS)
.PHONY: pot screenshots
# PNGs of the desktop app's main screens (Russian and English) in $(O)/screenshots
screenshots: all
	@tools/screenshots.sh $(O)/bin $(O)/screenshots
pot: $(TOOL_REGSTR)
	tools/make_pot.sh $(TOOL_REGSTR)
HAVE_MSGFMT := $(shell command -v msgfmt >/dev/null 2>&1 && echo 1)
ifeq ($(HAVE_MSGFMT),1)
all: $(MO_FILES)
endif
ifeq ($(HAVE_GTK),1)
all: $(BIN_GTK) $(TOOL_REGSTR)
endif

TLIB_OBJ := $(patsubst %.c,$(O)/%.o,$(TLIB_SRC))
.SECONDARY: $(TLIB_OBJ)
SRV_LIB_OBJ := $(filter-out $(O)/server/srv_main.o,$(SRV_OBJ))
$(O)/tests/test_%: tests/unit/test_%.c $(TLIB_OBJ) $(LIBCLIENT) $(LIBCOMMON) $(SRV_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) $(ALL_CFLAGS) -Itests/lib $(ALL_LDFLAGS) -o $@ $< $(TLIB_OBJ) $(SRV_LIB_OBJ) $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS) -lcmocka

BENCH_UTIL := tests/bench/util/bench_util.c
$(O)/bench/%: tests/bench/%.c $(BENCH_UTIL) tests/bench/util/bench_util.h $(LIBCLIENT) $(LIBCOMMON) $(SRV_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib -Itests/bench/util $(ALL_LDFLAGS) -o $@ $< $(BENCH_UTIL) $(SRV_LIB_OBJ) $(LIBCLIENT) $(LIBCOMMON) $(LIBS) $(CLIENT_LIBS)

# check: install deps, build, run every test; last line "N passed, N failed"
check: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh

unit: all
	@BUILD=$(BUILD) tests/run.sh unit

asan:
	@$(MAKE) --no-print-directory BUILD=asan CC=clang check

bench: deps
	@$(MAKE) --no-print-directory BUILD=release all $(patsubst $(O)/%,build/release/%,$(BENCH_BIN))
	@BUILD=release tests/bench/run.sh

run: deps
	@$(MAKE) --no-print-directory all
	@KARTOTEKA_DEMO=$(DEMO) installer/run-local.sh $(O)/bin

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN_CLI) $(DESTDIR)$(PREFIX)/bin/kartoteka
	$(if $(SRV_SRC),install -m 755 $(BIN_SRV) $(DESTDIR)$(PREFIX)/bin/kartotekad)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 644 man/kartoteka.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/kartotekad.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/user
	sed 's|/usr/bin/|$(PREFIX)/bin/|' installer/systemd/kartoteka-agent.service \
	  > $(DESTDIR)$(PREFIX)/lib/systemd/user/kartoteka-agent.service
ifeq ($(HAVE_GTK),1)
	install -m 755 $(BIN_GTK) $(DESTDIR)$(PREFIX)/bin/kartoteka-gtk
	install -D -m 644 installer/desktop/org.kartoteka.Kartoteka.desktop \
	  $(DESTDIR)$(PREFIX)/share/applications/org.kartoteka.Kartoteka.desktop
	install -D -m 644 installer/desktop/org.kartoteka.Kartoteka.svg \
	  $(DESTDIR)$(PREFIX)/share/icons/hicolor/scalable/apps/org.kartoteka.Kartoteka.svg
endif
ifeq ($(HAVE_MSGFMT),1)
	$(foreach mo,$(MO_FILES),install -D -m 644 $(mo) $(DESTDIR)$(PREFIX)/$(patsubst $(O)/%,%,$(mo));)
endif

demo: deps
	@$(MAKE) --no-print-directory all
	@installer/demo.sh $(O)/bin

# testssl (Debian package testssl.sh) against a fresh server; not in check (slow)
testssl: all
	@tools/testssl.sh $(O)/bin

deb: deps
	@$(MAKE) --no-print-directory BUILD=release build/release/bin/kartoteka build/release/bin/kartotekad \
	  $(if $(HAVE_GTK),build/release/bin/kartoteka-gtk) \
	  $(if $(HAVE_MSGFMT),$(patsubst $(O)/%,build/release/%,$(MO_FILES)))
	@installer/build-deb.sh build/release/bin build/deb

clean:
	rm -rf build

# ThreadSanitizer (clang, objects in build/tsan) over the client core and the
# sync/scheduler tests; the programs too, as test_client starts them. Any report fails.
TSAN_TESTS := test_client test_sched test_srv_push
.PHONY: tsan
tsan:
	@$(MAKE) --no-print-directory BUILD=tsan CC=clang build/tsan/bin/kartoteka \
	  build/tsan/bin/kartotekad $(addprefix build/tsan/tests/,$(TSAN_TESTS))
	@for t in $(TSAN_TESTS); do echo "== tsan $$t"; \
	  TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" build/tsan/tests/$$t || exit 1; done
	@echo "tsan: no findings"

include tests/fuzz/fuzz.mk

-include $(shell find build -name '*.d' 2>/dev/null)

# the load generator of tests/integ/load.sh (server objects: it provisions devices offline)
LOADGEN := $(O)/tests/loadgen
all: $(LOADGEN)
$(LOADGEN): tests/bench/util/loadgen.c $(O)/tests/lib/t_srvdb.o $(LIBCOMMON) $(SRV_LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	@$(CC) $(ALL_CFLAGS) -Itests/lib $(ALL_LDFLAGS) -o $@ $< $(O)/tests/lib/t_srvdb.o $(SRV_LIB_OBJ) $(LIBCOMMON) $(LIBS)

# soak (issue 20): the crash, power-cut, convergence and fuzz harnesses at scale,
# SOAK_MINUTES (60) in all; not part of check. tests/soak/run.sh [PART...] runs parts.
.PHONY: soak
soak: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SOAK_MINUTES=$(or $(SOAK_MINUTES),60) tests/soak/run.sh
