"""The card pane of the desktop app (see tests/integ/gtk_card.sh). Mode
"head": a head of sales' app — the organization's tabs and their counts, rows
newest first, a row opening its card, Add a note, Add a deal, Plan a meeting
and Reassign through the form, each checked with the CLI (the colleague's PC
after its sync). Mode "manager": a manager's app has no Reassign; the role
changed on the server while the app stays connected greys Edit out (made an
assistant) or brings Reassign (head of sales) within seconds; an edit the PC
still allows (made while the server is paused and the role made read-only) is
refused by the server and set back on screen with its message."""
import datetime
import json
import os
import signal
import subprocess
import sys
import time

import pyatspi

import gui_driver as g

CLI, T, USER = os.environ["KT_CLI"], os.environ["KT_T"], os.environ["KT_USER"]
ORG, VEC = os.environ["KT_ORG"], os.environ["KT_VEC"]


def cli(user, *args):
    p = subprocess.run([CLI, "--profile", os.path.join(T, user), *args], capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


def rows_of(user, type_):
    rc, out, _ = cli(user, "list", type_, "--json")
    return json.loads(out) if rc == 0 and out.strip() else []


def card(user, id_):
    rc, out, _ = cli(user, "show", id_, "--json")
    return json.loads(out) if rc == 0 else {}


def set_field(app, name, text):
    e = g.find(app, "Field " + name, timeout=5)
    if e is None:
        return False
    e.queryEditableText().setTextContents(text)
    return g.wait_for(lambda: g.text_of(e) == text, timeout=3)


def title_is(app, want, prefix=False):
    t = g.find_desc(app, "Card title")
    ok = t is not None and g.wait_for(
        lambda: g.name_of(t).startswith(want) if prefix else g.name_of(t) == want, timeout=8)
    return ok, t and g.name_of(t)


def press(app, name, timeout=5):
    b = g.find(app, name, timeout=timeout)
    if b is not None:
        g.click(b)
    return b is not None


def tab(app, key):
    """Shows the tab KEY; its label's text ("Deals (3)")."""
    lab = g.find_desc(app, "Tab " + key, timeout=5)
    if lab is None:
        return ""
    g.click(lab)
    time.sleep(0.3)
    return g.name_of(lab)


def back_to(app, title):
    """From a card linked to `title`: its Related tab's row."""
    tab(app, "related")
    press(app, "Row related " + title)
    return title_is(app, title)[0]


def open_from_list(app, title):
    cell = g.find(app, title, timeout=10)
    if cell is not None:
        g.click(cell)
    return title_is(app, title)


_check = g.check
_shots = [0]


def check(name, ok, detail=""):
    """g.check; a failure leaves a screenshot in the test folder (KT_KEEP=1 keeps it)."""
    if not ok:
        _shots[0] += 1
        subprocess.run(["import", "-window", "root", os.path.join(T, f"fail-{_shots[0]}.png")],
                       check=False)
    _check(name, ok, detail)


g.check = check
pid = int(sys.argv[1])
mode = sys.argv[2]
app = g.app_by_pid(pid)
g.check(f"[{mode}] the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()

if mode == "head":
    ok, got = open_from_list(app, "ООО Ромашка")
    g.check("clicking the organization opens its card", ok, got)
    for key, label, n in [("contacts", "Contacts", 2), ("events", "Events & tasks", 2),
                          ("deals", "Deals", 2), ("notes", "Notes", 1), ("related", "Related", 0)]:
        lab = g.find_desc(app, "Tab " + key, timeout=5)
        g.check(f"the {key} tab says how many: {label} ({n})",
                lab is not None and g.name_of(lab) == f"{label} ({n})", lab and g.name_of(lab))
    g.check("the related tab says it has none", g.find_desc(app, "Empty related", timeout=3) is not None)
    tab(app, "contacts")
    g.check("the contacts tab lists both contacts",
            g.find(app, "Row contacts Петрова Анна") is not None and
            g.find(app, "Row contacts Сидоров Олег") is not None)
    tab(app, "events")
    ev = [g.name_of(n) for n in g.find_all(app, "Row events ")]
    g.check("the events tab lists the task and the call, newest first",
            len(ev) == 2 and "Отправить КП" in ev[0] and "Звонок в Ромашку" in ev[1], ev)
    tab(app, "deals")
    deals = [g.name_of(n) for n in g.find_all(app, "Row deals ")]
    g.check("the deals tab lists both deals, newest first",
            len(deals) == 2 and "34" in deals[0] and "12" in deals[1], deals)
    tab(app, "notes")
    g.check("the notes tab lists the note", g.find(app, "Row notes Об условиях") is not None)

    # a row opens its card; the contact's Related tab has its organization and colleague
    tab(app, "contacts")
    press(app, "Row contacts Петрова Анна")
    ok, got = title_is(app, "Петрова", prefix=True)
    g.check("activating a contact row opens the contact", ok, got)
    rel = tab(app, "related")
    g.check("the contact's Related tab has the organization and the colleague",
            rel == "Related (2)" and g.find(app, "Row related ООО Ромашка") is not None and
            g.find(app, "Row related Сидоров Олег") is not None, rel)
    g.check("... and its row opens the organization", back_to(app, "ООО Ромашка"))

    # Add a note: the form preset to the card
    g.check("the card offers Add a note", press(app, "Add a note"))
    g.check("... which opens a note form", g.find(app, "New card form", timeout=5) is not None)
    org_field = g.find(app, "Field org")
    g.check("... linked to the organization", org_field is not None and
            g.text_of(org_field) == "ООО Ромашка", org_field and g.text_of(org_field))
    set_field(app, "title", "После выставки")
    set_field(app, "text", "Просили каталог на 2025 год")
    g.key("ctrl+s")
    notes = lambda: [n for n in rows_of(USER, "note") if n.get("title") == "После выставки"]
    g.check("the note is saved with the organization (CLI)",
            g.wait_for(lambda: len(notes()) == 1 and notes()[0].get("org") == ORG, timeout=8), notes())
    g.check("... and shown", title_is(app, "После выставки")[0])
    g.check("back to the organization from the note", back_to(app, "ООО Ромашка"))
    g.check("the notes tab counts it", g.wait_for(lambda: tab(app, "notes") == "Notes (2)"),
            tab(app, "notes"))

    # Add a deal with an amount
    g.check("the card offers Add a deal", press(app, "Add a deal"))
    set_field(app, "date", "2024-06-15")
    g.check("the amount is typed into the deal form", set_field(app, "amount", "56000"))
    g.key("ctrl+s")
    deals = lambda: [d for d in rows_of(USER, "deal") if str(d.get("date", "")).startswith("2024-06-15")]
    g.check("the deal is saved with its amount and the organization (CLI)", g.wait_for(
        lambda: len(deals()) == 1 and float(deals()[0].get("amount") or 0) == 56000 and
        deals()[0].get("org") == ORG, timeout=8), deals())
    g.check("back to the organization from the deal", back_to(app, "ООО Ромашка"))
    g.check("the deals tab has it", g.wait_for(lambda: tab(app, "deals") == "Deals (3)") and
            any("56" in g.name_of(n) for n in g.find_all(app, "Row deals ")),
            [g.name_of(n) for n in g.find_all(app, "Row deals ")])

    # Plan a meeting: type meeting, the user as assignee, a reminder
    g.check("the card offers Plan a meeting", press(app, "Plan a meeting"))
    g.check("... a form with the assignee", g.find(app, "Field assignee", timeout=5) is not None)
    when = (datetime.date.today() + datetime.timedelta(days=3)).isoformat() + " 11:00"
    set_field(app, "title", "Встреча в офисе")
    set_field(app, "start", when)
    g.key("ctrl+s")
    meet = lambda: [e for e in rows_of(USER, "event") if e.get("title") == "Встреча в офисе"]
    g.check("the meeting is planned (CLI)", g.wait_for(lambda: len(meet()) == 1, timeout=8), meet())
    m = meet()[0] if meet() else {}
    g.check("... a meeting with the organization, the user and a reminder",
            m.get("type") == "meeting" and m.get("org") == ORG and m.get("assignee") == USER and
            m.get("remind_before") and when.replace(" ", "T") in (m.get("start") or ""), m)
    g.check("back to the organization from the meeting", back_to(app, "ООО Ромашка"))

    # Reassign (the head of sales has the right): to anna
    g.check("the head of sales has Reassign", press(app, "Reassign"))
    g.check("... which opens the owner's drop-down", g.find(app, "Reassign form", timeout=5) is not None
            and g.find(app, "Field owner", timeout=3) is not None)
    # the pointer away from where the list opens (an item under it is the one Return takes)
    subprocess.run(["xdotool", "mousemove", "5", "795"], check=False)
    time.sleep(0.5)
    g.key("space")   # the owner has the focus: its list (boris, then anna, boss, vera)
    time.sleep(0.8)
    g.key("Down")
    g.key("Return")
    time.sleep(0.5)
    g.key("ctrl+s")
    g.check("the card is anna's on this PC", g.wait_for(lambda: card(USER, ORG).get("owner") == "anna",
                                                        timeout=8), card(USER, ORG).get("owner"))

    def anna_sees():
        cli("anna", "sync")
        return card("anna", ORG).get("owner") == "anna"
    g.check("the colleague's CLI sees the new owner after sync", g.wait_for(anna_sees, timeout=25),
            card("anna", ORG))
    g.check("the card pane shows the new owner",
            g.find(app, "owner: anna", timeout=8) is not None)

elif mode == "manager":
    ok, got = open_from_list(app, "ЗАО Вектор")
    g.check("the manager's card opens", ok, got)
    g.check("... with Edit and Add a note", g.find(app, "Edit card") is not None and
            g.find(app, "Add a note") is not None)
    g.check("... and no Reassign (the manager's role lacks the right)",
            g.find(app, "Reassign", timeout=2) is None)
    # rights changed on the server while the app stays connected: it hears them at once
    def role(r):
        p = subprocess.run([os.environ["KTD"], "user", "role", "--data", os.environ["KT_DATA"],
                            "--user", USER, "--role", r], capture_output=True, text=True)
        return p.returncode == 0

    def edit_sensitive():
        b = g.find(app, "Edit card", timeout=1)
        return b is not None and b.getState().contains(pyatspi.STATE_SENSITIVE)
    g.check("the server makes vera an assistant (read-only)", role("assistant"))
    g.check("... the app greys Edit out within 5 s, still connected",
            g.wait_for(lambda: not edit_sensitive(), timeout=5))
    g.key("ctrl+e")
    g.check("... and Ctrl+E opens no form", g.find(app, "Edit form", timeout=2) is None)
    g.check("the server makes her head of sales", role("head_of_sales"))
    g.check("... Reassign appears within 5 s", g.find(app, "Reassign", timeout=5) is not None)
    g.check("... and Edit can be pressed again", g.wait_for(edit_sensitive, timeout=5))
    # a change this PC allows but the server refuses: made while the server is paused
    # (SIGSTOP), with the role made read-only meanwhile; the push is judged after it
    press(app, "Edit card")
    g.check("the edit form opens", g.find(app, "Edit form", timeout=5) is not None)
    srv = int(os.environ["KT_SRV_PID"])
    os.kill(srv, signal.SIGSTOP)
    try:
        g.check("the role is made read-only while the server is paused", role("assistant"))
        set_field(app, "city", "Казань")
        g.key("ctrl+s")
        time.sleep(1)
    finally:
        os.kill(srv, signal.SIGCONT)
    banner = g.find_desc(app, "Refused", timeout=5)
    g.check("the server's refusal is shown on the card", banner is not None and g.wait_for(
        lambda: g.name_of(banner).startswith("The server refused a change:") and
        len(g.name_of(banner)) > 30, timeout=25), banner and g.name_of(banner))
    g.check("... and the card shows the server's value again",
            g.wait_for(lambda: g.find(app, "city: Тверь", timeout=0) is not None, timeout=15),
            [g.name_of(x) for x in [g.find(app, "city:", prefix=True, timeout=0)] if x is not None])
    g.check("... the replica too (CLI)", card(USER, VEC).get("city") == "Тверь", card(USER, VEC))
g.finish()
