#!/usr/bin/env bash
# Documents from ODT/DOCX templates: a Word-like DOCX (placeholders split
# across runs, a header, a table row of deals) and the ODT LibreOffice makes
# of it, filled for one card and for a list of cards, then opened by
# LibreOffice headless (converted to text and compared). The document is
# recorded on the card's timeline. Broken, foreign and placeholder-free files
# and unknown placeholders are refused, leaving no file behind.
source "$(dirname "$0")/../lib/integ.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
SOFFICE=$(command -v soffice || command -v libreoffice || true)
# to_text FILE: the document as LibreOffice reads it (text), or "" when it could not
to_text() {
  local out="$T/conv.$RANDOM"
  timeout 120 "$SOFFICE" -env:UserInstallation=file://"$T/lo" --headless --convert-to txt:Text \
    --outdir "$out" "$1" >/dev/null 2>&1
  local f="$out/$(basename "${1%.*}").txt"
  [ -f "$f" ] && tr -d '\r' <"$f" | sed '1s/^\xEF\xBB\xBF//; s/\xC2\xA0/ /g' # (money: no-break spaces)
}

k a init --local >/dev/null
O=$(k a add org --set name='ООО «Ромашка»' --set city=Тверь --set turnover=1234567.5 2>/dev/null)
k a add deal --set org="$O" --set date=2026-10-01 --set amount=99.9 --set state=quote >/dev/null
k a add deal --set org="$O" --set date=2026-11-03 --set amount=1500 --set state=paid >/dev/null
O2=$(k a add org --set name='Лютик' --set legal_name='ИП Лютиков' 2>/dev/null)
/usr/bin/python3 "$LIB/mkdocx.py" "$T/t.docx"

check "a DOCX template is filled for one card" k a doc fill --template "$T/t.docx" --id "$O" --out "$T/o.docx"
xml=$(unzip -p "$T/o.docx" word/document.xml)
check_contains "... a placeholder split over three runs is filled, in its first run's formatting" \
  '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">ООО «Ромашка»</w:t></w:r>' "$xml"
check_not_contains "... no placeholder is left" "{{" "$xml"
check_contains "... headers too (a default for an empty field)" "Для: —" "$(unzip -p "$T/o.docx" word/header1.xml)"
check_eq "... the deal row is repeated per deal (a header row and two deal rows)" "3" "$(echo "$xml" | grep -o '<w:tr>' | wc -l)"
check_contains "... the document is on the card's timeline" "Document o.docx" "$(k a list note --where org="$O" --fields title)"
check_contains "... a choice's label in English here" '>Quote<' "$xml"
# a choice's label in the user's language, the translation the app and titles use
check "a Russian office fills the same template" env LANG=ru_RU.UTF-8 "$KT" --profile "$T/a" doc fill --template "$T/t.docx" --id "$O" --out "$T/o-ru.docx"
xml_ru=$(unzip -p "$T/o-ru.docx" word/document.xml)
check_contains "... the deal state's label in Russian" '>предложение<' "$xml_ru"
check_contains "... both of them" '>оплачено<' "$xml_ru"
check_not_contains "... no English label left" '>Quote<' "$xml_ru"

if [ -n "$SOFFICE" ]; then
  txt=$(to_text "$T/o.docx")
  check_eq "LibreOffice opens the filled DOCX: the expected text" "Договор с ООО «Ромашка».
Уважаемый(ая) клиент!
Оборот: 1 234 567,50 руб.; город: ТВЕРЬ
Конец списка сделок ниже.
Дата
Сумма
Состояние
01.10.2026
99,90
Quote
03.11.2026
1 500,00
Payment received
Подпись: ____" "$txt"
  # the ODT LibreOffice makes of the same template (its own runs: text:span)
  timeout 120 "$SOFFICE" -env:UserInstallation=file://"$T/lo" --headless --convert-to odt --outdir "$T/odt" "$T/t.docx" >/dev/null 2>&1
  if [ -f "$T/odt/t.odt" ]; then
    check_contains "... (LibreOffice's ODT keeps the split placeholder in spans)" '<text:span text:style-name="T1">{{or</text:span>' \
      "$(unzip -p "$T/odt/t.odt" content.xml)"
    check "an ODT template is filled" k a doc fill --template "$T/odt/t.odt" --id "$O" --out "$T/o.odt"
    check_eq "... the mimetype entry stays first and stored" "mimetype Stored" \
      "$(/usr/bin/python3 -c 'import zipfile,sys; i=zipfile.ZipFile(sys.argv[1]).infolist()[0]; print(i.filename, "Stored" if i.compress_type==0 else "Deflated")' "$T/o.odt")"
    check_eq "... LibreOffice opens it: the same text" "$txt" "$(to_text "$T/o.odt")"
    out=$(k a doc fill --template "$T/odt/t.odt" --to org --out-dir "$T/many" 2>/dev/null)
    check_eq "a list of cards: one document each" "2" "$(ls "$T/many"/*.odt | wc -l)"
    check_contains "... named after the card" "Лютик.odt" "$out"
    check_contains "... each with its own data (no deals: no deal rows)" "Договор с Лютик." "$(to_text "$T/many/"*Лютик.odt)"
    check_not_contains "... no deal row for a card without deals" "quote" "$(to_text "$T/many/"*Лютик.odt)"
  else
    fail "LibreOffice could not convert the DOCX template to ODT"
  fi
else
  echo "SKIP: LibreOffice (libreoffice-writer-nogui) is not installed: the LibreOffice checks"
fi

notes=$(k a list note --where org="$O" --json | json 'len(d)')
# ---- bad input ---------------------------------------------------------------------------------------------------
head -c 5000 /dev/urandom >"$T/broken.docx"
check_fails "a broken file is refused" "not an ODT or DOCX file" k a doc fill --template "$T/broken.docx" --id "$O" --out "$T/x.docx"
/usr/bin/python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],"w"); z.writestr("xl/workbook.xml","<x/>"); z.close()' "$T/book.xlsx"
check_fails "an archive that is not a text document is refused" "neither content.xml nor word/document.xml" \
  k a doc fill --template "$T/book.xlsx" --id "$O" --out "$T/x.docx"
/usr/bin/python3 - "$T/t.docx" "$T/plain.docx" <<'EOF'
import re, sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w')
for i in src.infolist():
    data = src.read(i)
    if i.filename.startswith('word/') and i.filename.endswith('.xml'):
        data = re.sub(rb'\{\{|\}\}', b'', data)
    dst.writestr(i, data)
dst.close()
EOF
check_fails "a document without placeholders is not a template" "has no placeholders" \
  k a doc fill --template "$T/plain.docx" --id "$O" --out "$T/x.docx"
/usr/bin/python3 "$LIB/mkdocx.py" "$T/bad.docx" --broken-placeholder
check_fails "an unknown placeholder is refused with where it is" \
  "word/document.xml, paragraph 4: line 1, column 7: unknown placeholder \{\{org.nosuchfield\}\}" \
  k a doc fill --template "$T/bad.docx" --id "$O" --out "$T/x.docx"
unzip -p "$T/t.docx" word/document.xml | head -c 300 >"$T/cut.xml"
/usr/bin/python3 - "$T/t.docx" "$T/cut.xml" "$T/cut.docx" <<'EOF'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[3], 'w')
for i in src.infolist():
    dst.writestr(i, open(sys.argv[2], 'rb').read() if i.filename == 'word/document.xml' else src.read(i))
dst.close()
EOF
check_fails "damaged XML inside is refused" "not well-formed XML" k a doc fill --template "$T/cut.docx" --id "$O" --out "$T/x.docx"
check_fails "a card that is not a client card" "organizations and contacts" \
  k a doc fill --template "$T/t.docx" --id "$(k a list deal --json | json 'd[0]["id"]')" --out "$T/x.docx"
check_fails "an unknown card" "" k a doc fill --template "$T/t.docx" --id 01a237b8-0000-7000-8000-000000000000 --out "$T/x.docx"
check_fails "a folder that does not exist" "cannot write" k a doc fill --template "$T/t.docx" --id "$O" --out "$T/nowhere/x.docx"
check_eq "... no file was left by any of them" "" "$(ls "$T" | grep -E '^x\.docx')"
check_eq "... and no note written for them" "$notes" "$(k a list note --where org="$O" --json | json 'len(d)')"
finish
