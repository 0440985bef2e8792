"""Screenshots of the desktop app's screens for `make screenshots`
(tools/screenshots.sh): argv = pid, output folder, language, mode. Modes:
  demo       — the demo office base: list, card, form, form-error, today,
               trash, reminders;
  conflicts  — a connected profile whose server recorded a conflict: conflicts;
  first      — an empty profile folder: the first-start window (welcome), the
               connect page with a real invite (KT_INVITE) showing the server's
               address and fingerprint (connect), the local card index page (local).
Each screen is saved as SCREEN-LANG.png; a screen that cannot be reached is
reported on stderr and skipped (the script goes on with the others)."""
import os
import subprocess
import sys
import time

import pyatspi

import gui_driver as g

pid, out, lang = int(sys.argv[1]), sys.argv[2], sys.argv[3]
mode = sys.argv[4] if len(sys.argv) > 4 else "demo"


def say(msg):
    print(f"screenshots [{mode} {lang}]: {msg}", file=sys.stderr, flush=True)


def shot(name):
    time.sleep(0.8)
    subprocess.run(["import", "-window", "root", f"{out}/{name}-{lang}.png"], check=False)


def fill_screen():
    """No window manager under Xvfb: the app's window is stretched over the
    whole 1280x800 screen so the shots show no black margins."""
    p = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
                       capture_output=True, text=True)
    for win in p.stdout.split():
        subprocess.run(["xdotool", "windowmove", win, "0", "0", "windowsize", win, "1280", "800"],
                       check=False)


def click(name, timeout=10, prefix=False):
    n = g.find(app, name, timeout=timeout, prefix=prefix)
    if n is None:
        say(f"no widget named {name!r}")
        return None
    g.click(n)
    return n


def set_text(name, text):
    e = g.find(app, name)
    if e is None:
        say(f"no entry named {name!r}")
        return False
    try:
        e.queryEditableText().setTextContents(text)
    except Exception as ex:  # pylint: disable=broad-except
        say(f"cannot type into {name!r}: {ex}")
        return False
    return True


def demo():
    time.sleep(1.5)
    shot("list")
    first = g.find(app, "АО «", prefix=True) or g.find(app, "ООО «", prefix=True)
    if first is not None:
        g.click(first)
    else:
        say("no organization in the list")
    shot("card")
    if click("Edit card", timeout=3) is not None:
        shot("form")
        if set_text("Field phone", "call me"):
            click("Save", timeout=3)
            shot("form-error")
        g.key("Escape")
        time.sleep(0.5)
    if page("today", "Today"):
        shot("today")
    if page("trash", "Trash"):
        g.find(app, "Trash ", prefix=True, timeout=5)
        shot("trash")
    button = g.find(app, "Reminders ", prefix=True)
    if button is not None:
        # the missed reminder is counted once the app has looked at the store
        g.wait_for(lambda: g.name_of(button) != "Reminders 0", 10)
        g.click(button)
        g.find(app, "Missed reminder ", prefix=True, timeout=5)
        shot("reminders")
    else:
        say("no Reminders button")


def showing(node):
    """GTK 4 reports no SHOWING state: a page the stack hides has no size."""
    try:
        return node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS).width > 0
    except Exception:  # pylint: disable=broad-except
        return False


def page(section, box):
    """Select the sidebar's Section SECTION until its page (the list named BOX)
    is on screen: a connected app may still be settling after its first sync."""
    g.find(app, box)
    # the last node of that name: the page's, after the sidebar's label of the same text
    named = [n for n in g.find_all(app, box) if g.name_of(n) == box]
    lst = named[-1] if named else None
    for _ in range(5):
        if click("Section " + section) is None:
            return False
        if lst is not None and g.wait_for(lambda: showing(lst), 3):
            return True
    say(f"the {box} page is not on screen")
    return lst is None


def conflicts():
    sync = g.find_desc(app, "Sync status")
    if sync is not None:  # "Connecting…" gives way to the state after the first sync
        g.wait_for(lambda: g.name_of(sync) not in ("", "Connecting…", "Подключение…"), 15)
    time.sleep(1)
    page("conflicts", "Conflicts")
    if g.find(app, "Conflict ", prefix=True, timeout=10) is None:
        say("the Conflicts page lists no conflict")
    shot("conflicts")


def first():
    if g.find(app, "Connect to the office server", timeout=15) is None:
        say("no first-start window")
        return
    time.sleep(1)
    shot("welcome")
    click("Connect to the office server")
    if set_text("Invite", os.environ.get("KT_INVITE", "")):
        fpr = g.find_desc(app, "Server fingerprint")
        if fpr is None or not g.wait_for(lambda: g.name_of(fpr) != "", 10):
            say("the invite's fingerprint is not shown")
        shot("connect")
    click("Back")
    if click("Start a card index on this PC only") is not None:
        g.find(app, "User name")
        shot("local")


app = g.app_by_pid(pid)
if app is None:
    sys.exit("the app did not appear on the accessibility bus")
time.sleep(0.5)
fill_screen()
{"demo": demo, "conflicts": conflicts, "first": first}[mode]()
