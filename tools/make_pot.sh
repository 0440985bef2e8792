#!/usr/bin/env bash
# `make pot`: the gettext template po/kartoteka.pot from the sources (xgettext: the
# desktop app, the CLI, and the client library's and common code's KT_() messages,
# kt_i18n.h) and the registry's strings (tools/registry_strings), then
# each po/LL.po merged with it (new strings come in untranslated; the i18n
# test fails until they are translated).
# Usage: tools/make_pot.sh REGISTRY_STRINGS_BINARY [OUTDIR]  (OUTDIR: write there, for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${1:?usage: make_pot.sh REGISTRY_STRINGS [OUTDIR]}
out=${2:-po}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
  --keyword=ngettext:1,2 --keyword=KT_ --keyword=KT_N_ --keyword=KT_NG_:1,2 \
  --add-comments=TRANSLATORS --package-name=kartoteka \
  -o "$tmp/gui.pot" client/gtk/*.c client/cli/*.c client/lib/*.c common/*.c
"$tool" > "$tmp/registry.pot"
msgcat --use-first "$tmp/gui.pot" "$tmp/registry.pot" -o "$tmp/kartoteka.pot"
sed -i 's/charset=CHARSET/charset=UTF-8/; /^"POT-Creation-Date/d' "$tmp/kartoteka.pot"
mkdir -p "$out"
cp "$tmp/kartoteka.pot" "$out/kartoteka.pot"
for po in po/*.po; do
  [ "$out" = po ] || cp "$po" "$out/"
  msgmerge --quiet --update --backup=none --no-fuzzy-matching "$out/$(basename "$po")" "$out/kartoteka.pot"
done
