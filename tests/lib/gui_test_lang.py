"""The desktop app speaks the PC's language (tests/integ/i18n.sh): argv[2] is
the language ("ru", "pl", "en"); section names, column titles (registry
labels, translated by type), choice labels and plural forms are checked;
every column title of the list fits inside the list (none cut off or pushed
out of the pane: "Стадия воронки")."""
import sys

import pyatspi

import gui_driver as g

pid, lang = int(sys.argv[1]), sys.argv[2]
want = {
    "ru": ["Организации", "Контакты", "Ежедневник", "Название", "Город", "Стадия воронки", "3 карточки"],
    "pl": ["Organizacje", "Kontakty", "Terminarz", "Nazwa", "Miasto", "Etap lejka", "3 karty"],
    "en": ["Organizations", "Contacts", "Events", "Name", "City", "Pipeline stage", "3 cards"],
}[lang]
app = g.app_by_pid(pid)
g.check(f"[{lang}] the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()
for text in want:
    g.check(f"[{lang}] the window shows “{text}”", g.find(app, text, timeout=8) is not None)


def box(node):
    e = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    return e.x, e.y, e.x + e.width, e.y + e.height


table = g.find(app, "Cards", timeout=5)
g.check(f"[{lang}] the list is there", table is not None)
# what is seen of it: the scrolled pane around it (the table itself is as wide as
# its columns)
pane = table
while pane is not None and pane.getRole() != pyatspi.ROLE_SCROLL_PANE:
    pane = pane.parent
pane = pane or table
if table is not None:
    tx0, _, tx1, _ = box(pane)
    for text in want[3:6]:  # the column titles
        n = g.find(table, text, timeout=2)  # the title, not the filter bar's label
        if n is None:
            g.check(f"[{lang}] the list has the column “{text}”", False)
            continue
        x0, _, x1, _ = box(n)
        g.check(f"[{lang}] the column title “{text}” fits in the list", tx0 <= x0 and x1 <= tx1,
                f"title {x0}..{x1}, list {tx0}..{tx1}")
g.finish()
