"""The desktop app's first screen, driven like a user would (see
tests/integ/gtk_app.sh): the sections, the list, search as you type with
kartoteka search's folding, a card opened from the list."""
import sys

import gui_driver as g

pid = int(sys.argv[1])
app = g.app_by_pid(pid)
g.check("the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()

g.check("the sidebar lists the sections", g.find(app, "Section org") is not None and
        g.find(app, "Section contact") is not None)
status = g.find_desc(app, "Status")
g.check("the organizations are listed", status is not None and
        g.wait_for(lambda: g.name_of(status) == "3 cards"), status and g.name_of(status))

sync = g.find_desc(app, "Sync status")
g.check("the sync indicator says this PC works alone", sync is not None and
        g.wait_for(lambda: g.name_of(sync) == "This PC only"), sync and g.name_of(sync))

# another program writes the card index: the open list shows it within a second or two
import os
import subprocess
import time
t0 = time.time()
subprocess.run([os.environ["KT_CLI"], "--profile", os.environ["KT_PROFILE"], "add", "org",
                "--set", "name=ООО Новая Заря", "--set", "city=Казань"], check=False,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seen = g.wait_for(lambda: g.name_of(status) == "4 cards", timeout=5)
g.check("a card added by another program appears in the open list", seen, g.name_of(status))
g.check("... within 2 s", seen and time.time() - t0 < 2.5, round(time.time() - t0, 2))
g.check("... and shows in it", g.find(app, "ООО Новая Заря", timeout=3) is not None)

search = g.find(app, "Search")
g.check("a search entry", search is not None)
g.click(search)
g.type_text("васил")
g.check("search as you type narrows the list", g.wait_for(lambda: g.name_of(status) == "1 card"),
        g.name_of(status))
cell = g.find(app, "ООО Василёк")
g.check("... to the card searched for", cell is not None)

# ё and е fold, as in kartoteka search
g.key("ctrl+a")
g.type_text("ромаш")
g.check("another search", g.wait_for(lambda: g.name_of(status) == "1 card"))
g.key("ctrl+a")
g.key("BackSpace")
g.check("an empty search lists everything again", g.wait_for(lambda: g.name_of(status) == "4 cards"))
g.type_text("василек")
g.check("ё and е are the same letter to search", g.wait_for(lambda: g.name_of(status) == "1 card"))

cell = g.find(app, "ООО Василёк")
if cell is not None:
    g.click(cell)
title = g.find_desc(app, "Card title")
g.check("clicking a row opens its card", title is not None and
        g.wait_for(lambda: g.name_of(title) == "ООО Василёк"), title and g.name_of(title))
g.check("the card shows the phone as a link", g.find(app, "phone: +7 4822 55-01-02") is not None)
g.check("the card shows the city", g.find(app, "city: Тверь") is not None)
g.check("the card lists its related contact", g.find(app, "Row contacts Петрова Анна", prefix=True) is not None)

today = g.find(app, "Section today")
g.check("the sidebar has Today", today is not None)
if today is not None:
    g.click(today)
g.check("Today lists the overdue task", g.find(app, "Overdue task: Отправить КП Васильку") is not None)
g.check("Today lists today's call", g.find(app, "event: Call: Позвонить в Ромашку", prefix=True) is not None
        or g.find(app, "event: Позвонить в Ромашку", prefix=True) is not None)
row = g.find(app, "Overdue task: Отправить КП Васильку")
if row is not None:
    g.click(row)
title = g.find_desc(app, "Card title")
g.check("a Today row opens its card", title is not None and
        g.wait_for(lambda: g.name_of(title) == "Отправить КП Васильку"), title and g.name_of(title))

today = g.find(app, "Section today")
g.check("the sidebar has Today", today is not None)
if today is not None:
    g.click(today)
g.check("Today lists the overdue task", g.find(app, "Overdue task: Отправить КП Васильку") is not None)
g.check("Today lists today's call", g.find(app, "event: Call: Позвонить в Ромашку", prefix=True) is not None
        or g.find(app, "event: Позвонить в Ромашку", prefix=True) is not None)
row = g.find(app, "Overdue task: Отправить КП Васильку")
if row is not None:
    g.click(row)
title = g.find_desc(app, "Card title")
g.check("a Today row opens its card", title is not None and
        g.wait_for(lambda: g.name_of(title) == "Отправить КП Васильку"), title and g.name_of(title))
g.finish()
