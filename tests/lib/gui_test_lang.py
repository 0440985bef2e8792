"""The desktop app speaks the PC's language (tests/integ/i18n.sh): argv[2] is
the language ("ru", "pl", "en"); section names, column titles (registry
labels, translated by type), choice labels and plural forms are checked."""
import sys

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
g.finish()
