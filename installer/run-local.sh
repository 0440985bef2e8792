#!/usr/bin/env bash
# `make run`: a ready-to-use profile next to the build, and how to use it.
# (When the server and desktop client land, this starts kartotekad on
# 127.0.0.1 with a generated admin and opens the client.)
set -euo pipefail
BIN=${1:?usage: run-local.sh BINDIR}
PROFILE=${KARTOTEKA_PROFILE:-$PWD/build/run-profile}
if [ ! -f "$PROFILE/replica.db" ]; then
  "$BIN/kartoteka" --profile "$PROFILE" init --local --user "${USER:-me}"
  "$BIN/kartoteka" --profile "$PROFILE" add org --set name="ООО Ромашка" --set city=Москва \
    --set phone="+7 495 123-45-67" >/dev/null
fi
cat <<MSG

Kartoteka is ready (standalone card index in $PROFILE).
Try:
  $BIN/kartoteka --profile $PROFILE list org
  $BIN/kartoteka --profile $PROFILE search ромаш
  $BIN/kartoteka --profile $PROFILE add contact --set last_name=Иванова --set org="ООО Ромашка"
  $BIN/kartoteka --profile $PROFILE help
MSG
