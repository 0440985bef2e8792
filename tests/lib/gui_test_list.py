"""The list's filter bar and column sort (see tests/integ/gtk_list.sh): each
filter, a filter with a search, Clear, and a click on a column header give
the rows `kartoteka list --where/--sort` prints, in its order."""
import json
import os
import subprocess
import sys
import time

import pyatspi

import gui_driver as g


def cli(*args):
    out = subprocess.run([os.environ["KT_CLI"], "--profile", os.environ["KT_PROFILE"], *args,
                          "--json"], capture_output=True, text=True, check=False).stdout
    return [c["name"] for c in json.loads(out or "[]")]


ALL = cli("list", "org")


def rows(table):
    """The names in the list's rows on screen, top to bottom."""
    try:
        top = table.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except Exception:
        return []
    seen = {}
    for n in g.walk(table):
        nm = g.name_of(n)
        if nm not in ALL or nm in seen:
            continue
        try:
            e = n.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        except Exception:
            continue
        if e.height > 0 and top.y <= e.y and e.y + e.height <= top.y + top.height:
            seen[nm] = e.y
    return [nm for nm, _ in sorted(seen.items(), key=lambda x: x[1])]


def count_is(status, n):
    return g.name_of(status) == (f"{n} card" if n == 1 else f"{n} cards")


def pick(app, field, label, pos):
    """Picks the item at pos (1 = the first after "Any"; label for the reader)
    of field's filter from the keyboard, as a user could: open, Home, Down.
    (A click on the popover's item lands a row off: GTK 4.8 reports the
    popover's extents without its offset.)"""
    dd = g.find(app, f"Filter {field}", timeout=5)
    if dd is None:
        return False
    g.click(dd)
    time.sleep(0.5)
    g.key("Home")
    for _ in range(pos):
        g.key("Down")
    g.key("Return")
    return True  # (what it picked shows in the rows: the checks after it)


pid = int(sys.argv[1])
app = g.app_by_pid(pid)
g.check("the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()
status = g.find_desc(app, "Status")
table = g.find(app, "Cards")
g.check("the organizations are listed", status is not None and
        g.wait_for(lambda: count_is(status, 30)), status and g.name_of(status))

filters = g.find(app, "Filters")
g.check("a Filters button in the list's header", filters is not None)
if filters is not None:
    g.click(filters)
g.check("it reveals the filter bar", g.wait_for(
    lambda: g.find(app, "Filter temperature", timeout=0) is not None and
    g.find(app, "Filter temperature", timeout=0).queryComponent().getExtents(
        pyatspi.DESKTOP_COORDS).height > 0, timeout=5))
for f in ("owner", "grp", "stage", "color", "city", "segment"):
    g.check(f"the bar has a filter by {f}", g.find(app, f"Filter {f}", timeout=2) is not None)

want = cli("list", "org", "--where", "temperature=hot")
g.check("temperature=hot is picked", pick(app, "temperature", "hot", 3))
g.check("the count is the filter's", g.wait_for(lambda: count_is(status, len(want))),
        (g.name_of(status), len(want)))
g.check("the rows are `list --where temperature=hot`", g.wait_for(lambda: rows(table) == want),
        (rows(table), want))

city = g.find(app, "Filter city")
want = cli("list", "org", "--where", "temperature=hot", "--where", "city=казань")
if city is not None:
    g.click(city)
    time.sleep(0.5)  # (the drop-down's popover gives the focus back first)
    g.type_text("казань")
g.check("a city narrows it (folded)", g.wait_for(lambda: count_is(status, len(want))),
        (g.name_of(status), len(want), city and g.text_of(city)))
g.check("... to `list --where temperature=hot --where city=казань`",
        g.wait_for(lambda: rows(table) == want), (rows(table), want))

search = g.find(app, "Search")
if search is not None:
    g.click(search)
    time.sleep(0.5)
    g.type_text("тай")
want = [n for n in want if n.startswith("ООО Тай")]
g.check("a search combines with the filters", g.wait_for(lambda: count_is(status, len(want))),
        (g.name_of(status), len(want)))
g.check("... to the matching row", g.wait_for(lambda: rows(table) == want), (rows(table), want))
g.key("ctrl+a")
g.key("BackSpace")

clear = g.find(app, "Clear filters")
if clear is not None:
    g.click(clear)
g.check("Clear restores every card", g.wait_for(lambda: count_is(status, 30)), g.name_of(status))

want = cli("list", "org", "--where", "segment=wholesale")
g.check("a custom choice field's filter", pick(app, "segment", "wholesale", 2))
g.check("... gives `list --where segment=wholesale`",
        g.wait_for(lambda: count_is(status, len(want)) and rows(table) == want),
        (rows(table), want))
want = cli("list", "org", "--where", "segment=wholesale", "--where", "owner=boris")
g.check("an owner's filter", pick(app, "owner", "boris", 2))
g.check("... with it gives `list --where segment=wholesale --where owner=boris`",
        g.wait_for(lambda: count_is(status, len(want)) and rows(table) == want),
        (rows(table), want))
if clear is not None:
    g.click(clear)
g.check("Clear again", g.wait_for(lambda: count_is(status, 30)), g.name_of(status))

# the Name column's header: ascending, then descending
header = None
for n in g.walk(table):
    if g.name_of(n) == "Name":
        header = n
        break
g.check("the Name column has a header", header is not None)
asc = cli("list", "org", "--sort", "name")
desc = cli("list", "org", "--sort", "name", "--desc")


def prefix_of(want):
    got = rows(table)
    return len(got) >= 5 and got == want[:len(got)]


if header is not None:
    g.click(header)
g.check("a click on Name sorts ascending as `list --sort name`", g.wait_for(lambda: prefix_of(asc)),
        (rows(table), asc[:8]))
if header is not None:
    g.click(header)
g.check("a second click sorts descending", g.wait_for(lambda: prefix_of(desc)),
        (rows(table), desc[:8]))
want = cli("list", "org", "--where", "temperature=cold", "--sort", "name", "--desc")
g.check("a filter keeps the sort", pick(app, "temperature", "cold", 1))
g.check("... rows as `list --where temperature=cold --sort name --desc`",
        g.wait_for(lambda: rows(table) == want), (rows(table), want))
g.finish()
