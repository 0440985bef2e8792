#!/usr/bin/env bash
# Mailings against real SMTP servers on 127.0.0.1: Debian's aiosmtpd (plain
# SMTP, a Maildir) and the npm package smtp-server (STARTTLS + AUTH, refusing
# chosen recipients, dying mid-run). Checks the delivered messages from
# outside (Python's email parser: headers, RFC 2047 subjects, UTF-8 bodies,
# HTML alternative, attachments decoded back to the same bytes), skipping
# (no e-mail, opted out, mailed within N days), a run killed with kill -9
# that resumes without a duplicate, a refused login, a refused recipient, a
# server that never answers, a connection cut mid-run, a missing attachment,
# a bad template, and the mass-mail right with an office server.
source "$(dirname "$0")/../lib/integ.sh"
source "$(dirname "$0")/../lib/server.sh"
k() { "$KT" --profile "$T/$1" "${@:2}"; }
py() { /usr/bin/python3 -c "$@"; }
LIB=$(cd "$(dirname "$0")/../lib" && pwd)

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "SKIP: python3-aiosmtpd is not installed (installer/deps.sh installs it)"; exit 0
fi
free_port() { py 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_sink DIR: aiosmtpd writing a Maildir; sets SINK_PORT, SINK_PID
start_sink() {
  mkdir -p "$1"/{tmp,new,cur}
  SINK_PORT=$(free_port)
  /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$SINK_PORT -c aiosmtpd.handlers.Mailbox "$1" 2>"$1.err" &
  SINK_PID=$!; _bg_pids+=($SINK_PID)
  for _ in $(seq 100); do py "import socket; socket.create_connection(('127.0.0.1',$SINK_PORT))" 2>/dev/null && return; sleep 0.05; done
  echo "FAIL: aiosmtpd did not start: $(cat "$1.err")"; exit 1
}
# the delivered messages of a Maildir or a folder of .eml files, one line each:
# to|subject|text|html|attachment name:sha256 ...
messages() {
  /usr/bin/python3 - "$1" <<'EOF'
import email, email.policy, glob, hashlib, os, sys
d = sys.argv[1]
files = sorted(glob.glob(os.path.join(d, 'new', '*')) + glob.glob(os.path.join(d, '*.eml')))
out = []
for f in files:
    m = email.message_from_bytes(open(f, 'rb').read(), policy=email.policy.default)
    text = html = ''
    atts = []
    for p in m.walk():
        if p.is_multipart(): continue
        if p.get_filename():
            atts.append('%s:%s' % (p.get_filename(), hashlib.sha256(p.get_payload(decode=True)).hexdigest()))
        elif p.get_content_type() == 'text/plain': text = p.get_content().replace('\r\n', '\n').strip().replace('\n', '/')
        elif p.get_content_type() == 'text/html': html = p.get_content().strip()
    out.append('|'.join([m['To'].addresses[0].addr_spec, str(m['Subject']), text, html, ' '.join(atts)]))
print('\n'.join(sorted(out)))
EOF
}

# ---- a standalone office with clients ---------------------------------------------------------
k a init --local >/dev/null
O1=$(k a add org --set name='ООО «Ромашка»' --set email=info@romashka.ru --set city=Тверь --set turnover=1234567.5 2>/dev/null)
k a add contact --set last_name=Иванова --set first_name=Анна --set org="$O1" --set email=anna@romashka.ru >/dev/null 2>&1
k a add contact --set last_name=Петров --set email=petrov@example.org >/dev/null 2>&1
k a add contact --set last_name=Безпочты >/dev/null 2>&1
k a add contact --set last_name=Отписался --set email=optout@example.org --set no_mailings=1 >/dev/null 2>&1
printf 'Здравствуйте, {{contact.first_name|default:"коллеги"}}!\nДля {{org.name|default:"вас"}} новый прайс.\n' >"$T/body.txt"
printf '<p>Здравствуйте, <b>{{contact.first_name|default:"коллеги"}}</b></p>' >"$T/body.html"
printf 'Скидка {{contact.nosuch}} для вас' >"$T/bad.txt"
check_fails "a template with an unknown placeholder is refused with its line and column" \
  "line 1, column 18: unknown placeholder \{\{contact.nosuch\}\}" \
  k a template add --name bad --subject S --body-file "$T/bad.txt"
check_fails "... in the subject too (did you mean)" "subject, line 1, column 15: unknown placeholder \{\{org.nam\}\}: did you mean \{\{org.name\}\}" \
  k a template add --name bad --subject 'Прайс — {{org.nam}}' --body-file "$T/body.txt"
check_eq "... and nothing was saved" "" "$(k a template list)"
check "a template is saved" k a template add --name promo --subject 'Новый прайс для {{org.name|default:"вас"}} — {{contact.last_name}}' \
  --body-file "$T/body.txt" --html-file "$T/body.html"
check_contains "... and listed" "promo" "$(k a template list)"
check_contains "... and shown" "Новый прайс для" "$(k a template show promo)"
check "... and edited" k a template edit promo --name tmp --no-html
check_eq "... (renamed, HTML dropped)" "tmp false" "$(k a template list --json | json 'd[0]["name"] + " " + str(d[0]["html"]).lower()')"
check_fails "... an edit is checked like a new one" "unknown placeholder \{\{org.x\}\}" k a template edit tmp --subject '{{org.x}}'
k a template edit tmp --name promo --html-file "$T/body.html" >/dev/null
check_fails "a mailing needs the office's settings" "an administrator sets them with .kartoteka mail config" \
  k a mail send --template promo --to contact
check_fails "a bad SMTP address is refused" "not an SMTP server address" k a mail config --smtp http://x --from a@b.ru
check_fails "a bad sender is refused" "not an e-mail address" k a mail config --smtp smtp://127.0.0.1:25 --from nobody

# ---- dry run, then a real mailing through aiosmtpd ------------------------------------------------
start_sink "$T/box"
k a mail config --smtp smtp://127.0.0.1:$SINK_PORT --from office@example.com >/dev/null
out=$(k a mail send --template promo --to contact --dry-run "$T/dry")
check_contains "a dry run writes .eml files" "written 2" "$out"
check_contains "... lists the card without an e-mail" "skipped  Безпочты: no e-mail" "$out"
check_contains "... and the one who opted out" "Отписался <optout@example.org>: opted out" "$out"
check_eq "... two files, nothing sent" "2 0" "$(ls "$T/dry"/*.eml | wc -l) $(ls "$T/box/new" | wc -l)"
check_eq "... and no event written" "" "$(k a list event)"
head -c 70000 /dev/urandom >"$T/price.bin"
printf 'прайс\n' >"$T/Прайс-лист 2026.txt"
check_fails "a missing attachment stops the mailing before anything is sent" "cannot read the attachment $T/nope.pdf" \
  k a mail send --template promo --to contact --attach "$T/nope.pdf"
check_eq "... nothing sent, no run left" "0" "$(ls "$T/box/new" | wc -l)"
check_fails "... nothing to resume" "no unfinished mailing" k a mail resume
out=$(k a mail send --template promo --to contact --attach "$T/price.bin" --attach "$T/Прайс-лист 2026.txt")
check_contains "the mailing is sent" "sent 2, refused 0, unknown 0, skipped 2" "$out"
msgs=$(messages "$T/box")
sha=$(sha256sum "$T/price.bin" | cut -d' ' -f1); sha2=$(sha256sum "$T/Прайс-лист 2026.txt" | cut -d' ' -f1)
check_contains "... one personal letter (UTF-8 subject, body and HTML)" \
  "anna@romashka.ru|Новый прайс для ООО «Ромашка» — Иванова|Здравствуйте, Анна!/Для ООО «Ромашка» новый прайс.|<p>Здравствуйте, <b>Анна</b></p>|" "$msgs"
check_contains "... defaults where a value is empty" "petrov@example.org|Новый прайс для вас — Петров|Здравствуйте, коллеги!/Для вас новый прайс." "$msgs"
check_contains "... attachments decoded back to the same bytes (UTF-8 file name too)" "price.bin:$sha Прайс-лист 2026.txt:$sha2" "$msgs"
check_eq "... two messages" "2" "$(echo "$msgs" | wc -l)"
raw=$(cat "$T/box/new/"* | tr -d '\r')
check_contains "... the subject is RFC 2047" "Subject: =?UTF-8?B?" "$raw"
check_contains "... the recipient's name too" "To: =?UTF-8?B?" "$raw"
ev=$(k a list event --fields type,title,result,contact --json)
check_eq "each letter is an event on the card (letter, template, sent)" "2 2" \
  "$(echo "$ev" | py 'import json,sys; e=json.load(sys.stdin); print(sum(x["type"]=="letter" and x["title"]=="promo" and x["result"]=="sent" for x in e), len(e))')"
check_contains "... a contact's letter is on its organization too" "$O1" "$(k a list event --fields org --json)"
out=$(k a mail send --template promo --to contact)
check_contains "cards mailed in the last 7 days are skipped" "sent 0, refused 0, unknown 0, skipped 4" "$out"
check_contains "... and listed" "Петров <petrov@example.org>: mailed within 7 days" "$out"
k a mail config --days 0 >/dev/null
check_contains "with the office's limit off they get the next one" "sent 2," "$(k a mail send --template promo --to contact)"
k a mail config --days 7 >/dev/null
check_contains "organizations are recipients too" "sent 1," "$(k a mail send --template promo --to org)"
# a template that no longer fits the office's fields (edited elsewhere, an older version):
# checked again before anything is sent
sqlite3 "$T/a/replica.db" "UPDATE t_template SET body = 'Добрый день!' || char(10) || '  {{org.inn}}' WHERE name = 'promo'"
k a mail config --days 0 >/dev/null
n0=$(ls "$T/box/new" | wc -l)
check_fails "a stored template with an unknown placeholder is refused before sending" \
  "the template's text, line 2, column 9: unknown placeholder \{\{org.inn\}\}" k a mail send --template promo --to contact
check_eq "... nothing sent" "$n0" "$(ls "$T/box/new" | wc -l)"

# ---- kill -9 mid-run, resume without a duplicate ---------------------------------------------------
k b init --local >/dev/null
for i in $(seq 1 6); do k b add contact --set last_name=Клиент$i --set email=c$i@example.org >/dev/null 2>&1; done
k b template add --name t --subject 'Привет {{contact.last_name}}' --body-file "$T/body.txt" >/dev/null
start_sink "$T/box2"
k b mail config --smtp smtp://127.0.0.1:$SINK_PORT --from office@example.com >/dev/null
"$KT" --profile "$T/b" mail send --template t --to contact --rate 120/min >"$T/run1.out" 2>&1 &
CLI=$!
for _ in $(seq 200); do [ "$(ls "$T/box2/new" | wc -l)" -ge 2 ] && break; sleep 0.05; done
kill -9 $CLI; wait $CLI 2>/dev/null
n1=$(ls "$T/box2/new" | wc -l)
check "the run was killed part way" test "$n1" -ge 2 -a "$n1" -lt 6
check_fails "a new mailing waits for the unfinished one" "earlier mailing was not finished" k b mail send --template t --to contact
"$KT" --profile "$T/b" mail resume --rate 30/min >/dev/null 2>&1 &
R1=$!; sleep 0.3
check_fails "... and a second resume while one runs is refused (one sender per profile)" "another kartoteka is sending" k b mail resume
kill -9 $R1; wait $R1 2>/dev/null
out=$(k b mail resume)
m2=$(messages "$T/box2" | cut -d'|' -f1)
unknown=$(echo "$out" | grep -c '^unknown')
check_eq "after resume nobody got a second copy" "" "$(echo "$m2" | sort | uniq -d)"
check_eq "... everybody got one, except one the kill cut mid-transaction (listed unknown)" "6" "$(( $(echo "$m2" | sort -u | wc -l) + unknown ))"
check_eq "... one sent event per delivered letter" "$(echo "$m2" | sort -u | wc -l)" \
  "$(( $(k b list event --where result=sent --json | json 'len(d)') + unknown ))"
check_fails "... the run is finished" "no unfinished mailing" k b mail resume
kill $SINK_PID 2>/dev/null

# ---- STARTTLS + AUTH (npm smtp-server): login refused, recipient refused, cut mid-run ----------------
if [ ! -d "$LIB/node_modules/smtp-server" ] && command -v npm >/dev/null; then
  (cd "$LIB" && npm install --no-save --no-audit --no-fund --prefix . smtp-server >/dev/null 2>&1)
fi
if [ -d "$LIB/node_modules/smtp-server" ] && command -v node >/dev/null; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  start_auth() { # DIR [--die-at N]
    mkdir -p "$1"
    NODE_PATH=$LIB/node_modules node "$LIB/smtpauth.js" "$1" "$T/cert.pem" "$T/key.pem" "${@:2}" >"$1.out" 2>&1 &
    AUTH_PID=$!; _bg_pids+=($AUTH_PID)
    for _ in $(seq 100); do grep -qs listening "$1.out" && break; sleep 0.05; done
    AUTH_PORT=$(sed -n 's/listening //p' "$1.out")
  }
  start_auth "$T/tls"
  k c init --local >/dev/null
  k c add contact --set last_name=Первый --set email=one@example.org >/dev/null 2>&1
  k c add contact --set last_name=Отказной --set email=reject@example.org >/dev/null 2>&1
  k c add contact --set last_name=Третий --set email=three@example.org >/dev/null 2>&1
  k c template add --name t --subject 'Тема {{contact.last_name}}' --body-file "$T/body.txt" >/dev/null
  k c mail config --smtp smtp://127.0.0.1:$AUTH_PORT --starttls --user mailer --from office@example.com >/dev/null
  check_fails "a login without a password on this PC is refused before sending" "has no password for it" k c mail send --template t --to contact
  echo wrong >"$T/wrong"; echo secret >"$T/secret"
  k c mail password --password-file "$T/wrong" --ca-file "$T/cert.pem" >/dev/null
  check_eq "the password is stored in the profile, mode 0600" "600" "$(stat -c %a "$T/c/smtp-password")"
  check_eq "... and not in the replica" "0" "$(grep -c wrong "$T/c/replica.db")"
  check_fails "a refused login stops the mailing with a clear error" "refused the login of mailer" k c mail send --template t --to contact
  check_eq "... nothing was delivered" "0" "$(ls "$T/tls" | wc -l)"
  k c mail password --password-file "$T/secret" >/dev/null
  out=$(k c mail resume)
  check_contains "with the right password resume sends them (STARTTLS + login)" "sent 2, refused 1" "$out"
  check_contains "... a refused recipient is listed with the server's answer" "refused  Отказной <reject@example.org>: 550" "$out"
  check_eq "... two delivered" "2" "$(ls "$T/tls" | wc -l)"
  check_eq "... the refusal is an event too (result refused)" "1" "$(k c list event --where result=refused --json | json 'len(d)')"
  # a server that dies at the second recipient of the run: the run stops, the rest waits
  kill $AUTH_PID; start_auth "$T/tls2" --die-at 2
  k c mail config --smtp smtp://127.0.0.1:$AUTH_PORT --days 0 >/dev/null
  check_fails "a connection cut mid-run stops the mailing" "lost during the transaction.*mail resume" k c mail send --template t --to contact
  start_auth "$T/tls3"
  k c mail config --smtp smtp://127.0.0.1:$AUTH_PORT >/dev/null
  out=$(k c mail resume)
  check_contains "... resume sends the rest; the cut one is listed, never resent" "unknown  " "$out"
  all=$(messages "$T/tls2"; messages "$T/tls3")
  check_eq "... nobody got two copies of this run" "" "$(echo "$all" | cut -d'|' -f1 | sort | uniq -d)"
  kill $AUTH_PID
else
  echo "SKIP: npm smtp-server not available (STARTTLS + AUTH checks)"
fi

# ---- a server that never answers ---------------------------------------------------------------
SPORT=$(free_port)
/usr/bin/python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$SPORT)); s.listen(5); c=[s.accept() for _ in range(5)]; time.sleep(60)" &
_bg_pids+=($!)
sleep 0.3
k d init --local >/dev/null
k d add contact --set last_name=Тихий --set email=quiet@example.org >/dev/null 2>&1
k d template add --name t --subject 'Тема' --body-file "$T/body.txt" >/dev/null
k d mail config --smtp smtp://127.0.0.1:$SPORT --from office@example.com >/dev/null
check_fails "a server that does not answer times out with a clear error" "did not answer" k d mail send --template t --to contact --timeout 2
check_contains "... the letter waits for resume" "waiting 1" "$(k d mail send --template t --to contact --timeout 1 2>/dev/null; k d mail resume --timeout 1 2>/dev/null)"
check "... and can be dropped" k d mail resume --abandon

# ---- the mass-mail right, with the office server ------------------------------------------------------
office anna:manager
enroll "$D" boss "$T/boss" || fail "enroll boss"
check "the administrator saves a template" k boss template add --name office --subject 'Тема' --body-file "$T/body.txt"
check "... and the office's mail settings" k boss mail config --smtp smtp://127.0.0.1:25 --from office@example.com
k boss sync >/dev/null; k anna sync >/dev/null
check_contains "templates are synced to colleagues" "office" "$(k anna template list)"
check_contains "... and so are the settings" "smtp://127.0.0.1:25" "$(k anna mail config)"
check_fails "a manager may not change the office's templates" "your role \(manager\) may not change the office's templates" \
  k anna template add --name mine --body-file "$T/body.txt"
check_fails "... nor its mail settings" "may not change the office's mail settings" k anna mail config --days 1
k anna add contact --set last_name=Клиент --set email=client@example.org >/dev/null 2>&1
check_fails "a user without the mass-mail right may not send a mailing" "mass-mail right" k anna mail send --template office --to contact
check_fails "... nor a dry run" "mass-mail right" k anna mail send --template office --to contact --dry-run "$T/annadry"
check_eq "... nothing was written" "" "$(ls "$T" | grep annadry)"
stop_server "$D"
finish
