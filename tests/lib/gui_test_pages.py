"""The desktop app's Trash, Reminders and Conflicts pages, driven like a user
would (see tests/integ/gtk_pages.sh). Mode "local": a standalone profile with
cards deleted and reminders due; mode "conflicts": a connected profile whose
server recorded a conflict. What the app did is checked with the CLI."""
import json
import os
import subprocess
import sys
import time

import gui_driver as g

CLI, PROF = os.environ["KT_CLI"], os.environ["KT_PROFILE"]


def cli(*args):
    p = subprocess.run([CLI, "--profile", PROF, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def card(id_):
    rc, out, _ = cli("show", id_, "--json")
    return json.loads(out) if rc == 0 else {}


def remind_state(id_):
    rc, out, _ = cli("remind", "list", "--json")
    rows = json.loads(out) if rc == 0 and out.strip() else []
    return [r.get("state") for r in rows if r.get("id") == id_]


def gone(app, name, timeout=5):
    return g.wait_for(lambda: g.find(app, name, timeout=0) is None, timeout=timeout)


def notified(text):
    try:
        with open(os.environ["KT_NOTIFY_LOG"], encoding="utf-8") as f:
            return sum(1 for line in f if "Notify" in line and text in line)
    except OSError:
        return 0


def section(app, name):
    row = g.find(app, "Section " + name)
    if row is not None:
        g.click(row)
    return row


def trash(app):
    row = section(app, "trash")
    g.check("the sidebar has Trash after the sections", row is not None)
    org = g.find(app, "Trash org: ООО Удалённая")
    g.check("the Trash lists the deleted organization", org is not None)
    g.check("... and the deleted contact (every type)",
            g.find(app, "Trash contact: Стёртова Вера") is not None)
    g.check("... not a live card", g.find(app, "Trash org: ООО Ромашка", timeout=0) is None)
    btn = g.find(app, "Restore ООО Удалённая")
    g.check("each row has a Restore button", btn is not None)
    if btn is not None:
        g.click(btn)
    g.check("Restore: the row leaves the Trash", gone(app, "Trash org: ООО Удалённая"))
    d = card(os.environ["GONE"])
    g.check("... and `show --json` says the card is not deleted", d.get("deleted") is False, d)
    # Enter on a selected row restores it too
    row = g.find(app, "Trash contact: Стёртова Вера")
    if row is not None:
        g.click(row)
        time.sleep(0.3)
        g.key("Return")
    g.check("Enter on a row restores it", gone(app, "Trash contact: Стёртова Вера"))
    g.check("... in the store too", g.wait_for(lambda: card(os.environ["GONE2"]).get("deleted") is False, 5))
    g.check("the Trash says it is empty", g.find(app, "The trash is empty.") is not None)
    # back in its section
    section(app, "org")
    status = g.find_desc(app, "Status")
    g.check("the section lists the restored card again", status is not None and
            g.wait_for(lambda: g.name_of(status) == "3 cards"), status and g.name_of(status))
    g.check("... by its name", g.find(app, "ООО Удалённая", timeout=3) is not None)
    # a card deleted by another program appears in the open Trash (records changed)
    section(app, "trash")
    cli("delete", os.environ["GONE"])
    g.check("a card deleted by another program appears in the open Trash",
            g.find(app, "Trash org: ООО Удалённая", timeout=5) is not None)


def reminders(app):
    button = g.find(app, "Reminders ", prefix=True)
    g.check("the header bar has a Reminders button", button is not None)
    g.check("... counting the missed reminder", button is not None and
            g.wait_for(lambda: g.name_of(button).startswith("Reminders ") and
                       int(g.name_of(button).split()[-1]) >= 1, 10), button and g.name_of(button))
    if button is not None:
        g.click(button)
    missed = g.find(app, "Missed reminder Отправить КП Ромашке")
    g.check("the in-app list shows the reminder missed while the app was closed", missed is not None)
    g.check("... recorded as fired (shown once)",
            g.wait_for(lambda: remind_state(os.environ["MISSED"]) == ["fired"], 5),
            remind_state(os.environ["MISSED"]))
    # dismissed by another program on this profile (the CLI, as the agent or a
    # sync would write it): the row leaves the list when the core reports the change
    other = g.find(app, "Missed reminder Сверить акт Łódź")
    g.check("the list shows a second missed reminder", other is not None)
    def count():
        return int(g.name_of(button).split()[-1])
    before = count()
    rc, _, err = cli("remind", "dismiss", os.environ["ELSEWHERE"])
    t0 = time.monotonic()
    g.check("... the CLI dismisses it on the same profile", rc == 0, err)
    # (the count on the header bar's button is cheap to read: no walk of the tree)
    fell = g.wait_for(lambda: count() <= before - 1, 5) if before else False
    took = time.monotonic() - t0
    g.check("... and it leaves the app's list within a second", fell and took < 1.0,
            f"count {before} -> {count()} after {took:.2f} s")
    g.check("... its row is gone", gone(app, "Missed reminder Сверить акт Łódź"))
    # another front end on the same profile never fires it again
    agent = subprocess.Popen([CLI, "--profile", PROF, "agent"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        soon = g.find(app, "Reminder Позвонить в Łódź", timeout=25)
        g.check("a reminder coming due while the app is open joins the list", soon is not None)
        g.check("... counted", g.wait_for(lambda: g.name_of(button) == "Reminders 2", 5), g.name_of(button))
        dismiss = g.find(app, "Dismiss Отправить КП Ромашке")
        g.check("each reminder has Dismiss", dismiss is not None)
        g.check("... and Snooze", g.find(app, "Snooze Отправить КП Ромашке") is not None)
        if dismiss is not None:
            g.click(dismiss)
        g.check("Dismiss: it leaves the list", gone(app, "Missed reminder Отправить КП Ромашке"))
        g.check("... the store has it dismissed",
                g.wait_for(lambda: remind_state(os.environ["MISSED"]) == ["dismissed"], 5),
                remind_state(os.environ["MISSED"]))
        snooze = g.find(app, "Snooze Позвонить в Łódź")
        if snooze is not None:
            g.click(snooze)
        g.check("Snooze: it leaves the list", gone(app, "Reminder Позвонить в Łódź"))
        g.check("... the store has it snoozed",
                g.wait_for(lambda: remind_state(os.environ["SOON"]) == ["snoozed"], 5),
                remind_state(os.environ["SOON"]))
        g.check("the count follows", g.wait_for(lambda: g.name_of(button) == "Reminders 0", 5),
                g.name_of(button))
        time.sleep(3)
        g.check("the dismissed reminder does not come back",
                g.find(app, "Missed reminder Отправить КП Ромашке", timeout=0) is None and
                g.find(app, "Reminder Отправить КП Ромашке", timeout=0) is None)
        g.check("the agent on the same profile does not fire the reminder the app showed",
                notified("Отправить КП") == 0)
        g.check("the agent and the app do not both fire the reminder that came due",
                notified("Позвонить в Łódź") == 0, f"{notified('Позвонить в Łódź')} notification(s) by the agent")
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def conflicts(app):
    row = section(app, "conflicts")
    g.check("the sidebar has Conflicts", row is not None)
    g.check("... with their count", g.find(app, "Conflicts (1)") is not None)
    c = g.find(app, "Conflict org city: ООО Конфликт")
    g.check("the Conflicts page lists the conflict on the card's field", c is not None)
    g.check("... by the field's label", g.find(app, "Organizations: ООО Конфликт — City") is not None)
    g.check("... the value that lost and who wrote it", g.find(app, "Lost value: Казань, by anna") is not None)
    g.check("... the value kept and whose it is", g.find(app, "Kept value: Тверь, by boris") is not None)
    if c is not None:
        g.click(c)
    title = g.find_desc(app, "Card title")
    g.check("activating it opens the card", title is not None and
            g.wait_for(lambda: g.name_of(title) == "ООО Конфликт"), title and g.name_of(title))
    g.check("... with the value kept", g.find(app, "city: Тверь") is not None)


pid = int(sys.argv[2])
app = g.app_by_pid(pid)
g.check("the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()
if sys.argv[1] == "local":
    trash(app)
    reminders(app)
else:
    conflicts(app)
g.finish()
