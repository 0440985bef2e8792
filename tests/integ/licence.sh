#!/usr/bin/env bash
# The repository says under which licence it is (GPL-3.0-or-later: LICENSE and an
# SPDX line in the README) and lists every package installer/deps.sh installs
# with its licence.
source "$(dirname "$0")/../lib/integ.sh"
R=$(cd "$(dirname "$0")/../.." && pwd)
check "LICENSE is the GPL v3 text" grep -q "GNU GENERAL PUBLIC LICENSE" "$R/LICENSE"
check_contains "... version 3" "Version 3, 29 June 2007" "$(head -3 "$R/LICENSE")"
if [ -f /usr/share/common-licenses/GPL-3 ]; then
  check "... word for word" cmp -s /usr/share/common-licenses/GPL-3 "$R/LICENSE"
fi
check "README has the SPDX line" grep -qx "SPDX-License-Identifier: GPL-3.0-or-later" "$R/README.md"
pkgs=$(sed -n '/^build_pkgs=(/,/^)/p' "$R/installer/deps.sh" | sed '1d;$d' | sed 's/#.*//' | tr -s ' \n' '\n' | grep -v '^$')
check_eq "deps.sh lists packages" "yes" "$([ "$(wc -l <<<"$pkgs")" -gt 20 ] && echo yes)"
for p in $pkgs; do
  check "README names the licence of $p" grep -qE "^\| \`$p\` \| [^|]+ \|" "$R/README.md"
done
finish
