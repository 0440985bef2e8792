"""Editing in the desktop app (see tests/integ/gtk_app.sh): a new organization
through the form (Ctrl+N, Ctrl+S), a field edited and saved, invalid values
(phone, e-mail, number) marked on their fields with nothing saved, a name the
core cannot resolve (a reference) marked on its field, Esc leaving the form.
What was saved is checked with the CLI (`kartoteka show ID --json`)."""
import json
import os
import subprocess
import sys

import gui_driver as g

CLI, PROF = os.environ["KT_CLI"], os.environ["KT_PROFILE"]


def cli(*args):
    p = subprocess.run([CLI, "--profile", PROF, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def card(id_):
    rc, out, _ = cli("show", id_, "--json")
    return json.loads(out) if rc == 0 else {}


def find_org(name):
    rc, out, _ = cli("search", name, "--json")
    rows = json.loads(out) if rc == 0 and out.strip() else []
    return [r for r in rows if r.get("name") == name]


def set_field(app, name, text, typed=False):
    """Sets an entry of the form: typed with the keyboard (a field in view), or
    through AT-SPI's EditableText (the form is taller than the screen)."""
    e = g.find(app, "Field " + name)
    if e is None:
        return False
    if typed:
        g.click(e)
        g.key("ctrl+a")
        g.key("BackSpace")
        if text:
            g.type_text(text)
    else:
        e.queryEditableText().setTextContents(text)
    return g.wait_for(lambda: g.text_of(e) == text, timeout=3)


def reason(app, name):
    n = g.find_desc(app, "Error " + name, timeout=5)
    return g.name_of(n) if n is not None else ""


pid = int(sys.argv[1])
app = g.app_by_pid(pid)
g.check("the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()
status = g.find_desc(app, "Status")
g.check("the organizations are listed", status is not None and
        g.wait_for(lambda: g.name_of(status).endswith(("card", "cards"))), status and g.name_of(status))
before = g.name_of(status)

# ---- a new organization through the form ----
table = g.find(app, "Cards")
if table is not None:
    g.click(table)
g.key("ctrl+n")
g.check("Ctrl+N opens an empty form", g.find(app, "New card form", timeout=5) is not None)
g.check("... with a field per registry field", g.find(app, "Field name") is not None and
        g.find(app, "Field city") is not None and g.find(app, "Field employees") is not None)
g.check("... choice fields as drop-downs", g.find(app, "Field temperature") is not None)
g.check("the name is typed into its field", set_field(app, "name", "Form Test Ltd", typed=True))
set_field(app, "city", "Kazan")
set_field(app, "phone", "+7 843 200-00-00")
g.key("ctrl+s")
title = g.find_desc(app, "Card title")
g.check("Ctrl+S saves and shows the new card", title is not None and
        g.wait_for(lambda: g.name_of(title) == "Form Test Ltd"), title and g.name_of(title))
rows = []
g.wait_for(lambda: len(find_org("Form Test Ltd")) == 1, timeout=5)
rows = find_org("Form Test Ltd")
g.check("the organization is in the card index (CLI)", len(rows) == 1, rows)
oid = rows[0]["id"] if rows else ""
c = card(oid) if oid else {}
g.check("... with the city and phone typed", c.get("city") == "Kazan" and
        c.get("phone") == "+7 843 200-00-00", c)

# ---- invalid values are marked on their fields and nothing is saved ----
edit = g.find(app, "Edit card")
g.check("the card has an Edit button", edit is not None)
if edit is not None:
    g.click(edit)
g.check("Edit opens the form", g.find(app, "Edit form", timeout=5) is not None)
set_field(app, "phone", "call me")
set_field(app, "email", "not-an-email")
set_field(app, "employees", "many")
save = g.find(app, "Save")
if save is not None:
    g.click(save)
g.check("an invalid phone is marked on its field", "phone" in reason(app, "phone") and
        "not a phone number" in reason(app, "phone"), reason(app, "phone"))
g.check("an invalid e-mail is marked on its field", reason(app, "email") != "", reason(app, "email"))
g.check("an invalid number is marked on its field", reason(app, "employees") != "",
        reason(app, "employees"))
g.check("the form says why nothing was saved", g.find_desc(app, "Form error", timeout=3) is not None)
c2 = card(oid) if oid else {}
g.check("nothing was saved", c2.get("phone") == "+7 843 200-00-00" and "email" not in c2 and
        "employees" not in c2 and c2.get("updated") == c.get("updated"), c2)

# ---- fixed: saved ----
set_field(app, "phone", "+7 843 200-00-99")
set_field(app, "email", "")
set_field(app, "employees", "12")
g.key("ctrl+s")
g.check("after the fix the card is saved", g.wait_for(
    lambda: card(oid).get("phone") == "+7 843 200-00-99", timeout=5), card(oid))
c3 = card(oid)
g.check("... the number too, and the untouched city kept", c3.get("employees") == 12 and
        c3.get("city") == "Kazan", c3)
g.check("... and the form closed", g.wait_for(lambda: g.find(app, "Edit form", timeout=0) is None,
                                              timeout=5))

# ---- Esc leaves the form without saving ----
edit = g.find(app, "Edit card")
if edit is not None:
    g.click(edit)
set_field(app, "city", "Samara")
g.key("Escape")
g.check("Esc leaves the form", g.wait_for(lambda: g.find(app, "Edit form", timeout=0) is None,
                                          timeout=5))
g.check("... without saving", card(oid).get("city") == "Kazan", card(oid))

# ---- a refusal by the core (a reference it cannot resolve) on its field ----
contact = g.find(app, "Section contact")
if contact is not None:
    g.click(contact)
table = g.find(app, "Cards")
if table is not None:
    g.click(table)
g.key("ctrl+n")
g.check("Ctrl+N in Contacts opens a contact form", g.find(app, "Field last_name", timeout=5) is not None)
set_field(app, "last_name", "Formova")
set_field(app, "org", "No Such Org")
g.key("ctrl+s")
g.check("an unknown organization is marked on the org field",
        g.wait_for(lambda: "No Such Org" in reason(app, "org"), timeout=5), reason(app, "org"))
rc, out, _ = cli("search", "Formova", "--json")
g.check("... and no contact was saved", rc == 0 and "Formova" not in out, out)
set_field(app, "org", "", typed=True)
g.type_text("Form Te")
pick = g.find(app, "Choose Form Test Ltd", timeout=5)
g.check("typing in a reference lists the matching cards", pick is not None)
g.key("Return")  # the first match (a popover's screen position is not reported under X11)
org_field = g.find(app, "Field org")
g.check("... and choosing one puts its title in the field",
        g.wait_for(lambda: g.text_of(org_field) == "Form Test Ltd", timeout=3), g.text_of(org_field))
g.key("ctrl+s")
g.check("with an existing organization chosen it is saved", g.wait_for(
    lambda: "Formova" in cli("search", "Formova", "--json")[1], timeout=5))
rc, out, _ = cli("search", "Formova", "--json")
rows = json.loads(out) if rc == 0 and out.strip() else []
g.check("... linked to that organization", len(rows) == 1 and rows[0].get("org") == oid, rows)
cid = rows[0]["id"] if rows else ""

# ---- quick action: plan a call from the contact's card ----
title = g.find_desc(app, "Card title")
g.check("the saved contact is shown", title is not None and
        g.wait_for(lambda: g.name_of(title).startswith("Formova")), title and g.name_of(title))
plan = g.find(app, "Plan a call")
g.check("the card offers Plan a call", plan is not None)
if plan is not None:
    g.click(plan)
g.check("... which opens a call form", g.find(app, "Field start", timeout=5) is not None)
contact_field = g.find(app, "Field contact")
g.check("... linked to the card (its title shown)", contact_field is not None and
        g.text_of(contact_field).startswith("Formova"), contact_field and g.text_of(contact_field))
g.key("ctrl+s")
g.check("a call without its time is refused on the form",
        g.wait_for(lambda: g.find_desc(app, "Form error", timeout=0) is not None, timeout=5))
import datetime
when = (datetime.date.today() + datetime.timedelta(days=1)).isoformat() + " 10:30"
set_field(app, "start", when)
g.key("ctrl+s")


def planned():
    rc, out, _ = cli("list", "event", "--json")
    return [e for e in (json.loads(out) if rc == 0 and out.strip() else []) if e.get("contact") == cid]


g.check("with the time the call is planned", g.wait_for(lambda: len(planned()) == 1, timeout=5),
        planned())
ev = planned()[0] if planned() else {}
g.check("... a call with a reminder 15 minutes before", ev.get("type") == "call" and
        ev.get("remind_before") == 15 and when.replace(" ", "T") in (ev.get("start") or ""), ev)

# ---- quick action: log the call with its result and a call back ----
evid = ev.get("id", "")
title = g.find_desc(app, "Card title")
g.check("the planned call is shown", title is not None and
        g.wait_for(lambda: g.name_of(title) != "" and g.find(app, "Log a call", timeout=0) is not None,
                   timeout=5), title and g.name_of(title))
log = g.find(app, "Log a call")
if log is not None:
    g.click(log)
g.check("Log a call opens its form", g.find(app, "Log a call form", timeout=5) is not None)
result = g.find(app, "Field result")
g.check("... with the result as a drop-down", result is not None)
import time
g.key("space")      # the result has the focus: open its list,
time.sleep(0.8)
g.key("Down")       # "—" -> reached -> no answer
g.key("Down")
g.key("Return")
time.sleep(0.5)
set_field(app, "comment", "busy, call tomorrow")
set_field(app, "callback", "tomorrowish")
g.key("ctrl+s")
g.check("an invalid call-back time is marked on its field",
        g.wait_for(lambda: reason(app, "callback") != "", timeout=5), reason(app, "callback"))
g.check("... and the call is not done", card(evid).get("status") != "done", card(evid))
back = (datetime.date.today() + datetime.timedelta(days=2)).isoformat() + " 15:00"
set_field(app, "callback", back)
g.key("ctrl+s")
g.check("the call is logged", g.wait_for(lambda: card(evid).get("status") == "done", timeout=5),
        card(evid))
done = card(evid)
g.check("... with the result chosen and the comment", done.get("result") == "no_answer" and
        "busy, call tomorrow" in (done.get("comment") or ""), done)
g.check("... and the call back planned", g.wait_for(lambda: any(
    back.replace(" ", "T") in (e.get("start") or "") for e in planned()), timeout=5), planned())
g.finish()
