"""A search with the list sorted by name and many hits (see
tests/integ/gtk_search_sorted.sh): the rows on screen at the start and, after
End, at the end equal `kartoteka list --where name~ив --sort name`'s."""
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


ALL = set(cli("list", "org"))


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
    return g.name_of(status) == (f"{n:,} cards")


def starts(want):
    got = rows(table)
    return len(got) >= 5 and got == want[:len(got)]


def in_order(part, got):
    """part appears in got in its order (after a scroll, AT-SPI still reports
    rows GTK 4.8 keeps off screen at their old places: got mixes them in)."""
    it = iter(got)
    return all(any(x == y for y in it) for x in part)


def ends(want):
    return in_order(want[-5:], rows(table))


def starts_again(want):
    return in_order(want[:5], rows(table))


pid = int(sys.argv[1])
app = g.app_by_pid(pid)
g.check("the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()
status = g.find_desc(app, "Status")
table = g.find(app, "Cards")
g.check("the organizations are listed", status is not None and
        g.wait_for(lambda: count_is(status, 3000), timeout=20), status and g.name_of(status))
header = None
for n in g.walk(table):
    if g.name_of(n) == "Name":
        header = n
        break
g.check("the Name column has a header", header is not None)
if header is not None:
    g.click(header)
asc = cli("list", "org", "--sort", "name")
g.check("a click on Name sorts ascending", g.wait_for(lambda: starts(asc)), (rows(table), asc[:5]))
want = cli("list", "org", "--where", "name~ив", "--sort", "name")
g.check("2,400 cards hold Ив", len(want) == 2400, len(want))
search = g.find(app, "Search")
if search is not None:
    g.click(search)
    time.sleep(0.5)
    g.type_text("ив")
g.check("the search sorted by name counts every hit", g.wait_for(lambda: count_is(status, len(want))),
        g.name_of(status))
g.check("... its first rows are `list --where name~ив --sort name`'s",
        g.wait_for(lambda: starts(want)), (rows(table), want[:5]))
first = [n for n in g.walk(table) if g.name_of(n) == want[0]]
if first:
    g.click(first[0])
time.sleep(0.5)
g.key("End")

g.check("... and at the end its last rows (the rest built by the worker)",
        g.wait_for(lambda: ends(want), timeout=15), (rows(table), want[-5:]))
g.key("Home")
g.check("... Home: the first rows again", g.wait_for(lambda: starts_again(want)),
        (rows(table), want[:5]))
g.finish()
