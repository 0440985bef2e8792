"""The desktop app's first start and its later starts, driven like a user
would (see tests/integ/gtk_connect.sh). argv: PID MODE, MODE one of
  connect  — join the office: a malformed invite marked with the reason, the
             server's address and fingerprint shown for confirmation, a wrong
             password refused by the server with no profile left, then the
             right one: the main window with the colleague's card;
  local    — a card index on this PC only, by user name;
  restart  — a later start: straight into the main window;
  expired  — a later start whose session has expired: the main window and
             the password dialog; a wrong password marked, the right one logs in.
Environment: KT_CLI, KT_PROFILE, and for connect KT_INVITE, KT_FPR (the
server's CA fingerprint, read with openssl), KT_ADDR, KT_CARD (the
colleague's card), KT_PW, KT_WRONGPW; for expired KT_PW (the new password)."""
import os
import subprocess
import sys

import pyatspi

import gui_driver as g

pid, mode = int(sys.argv[1]), sys.argv[2]
PROF = os.environ["KT_PROFILE"]
app = g.app_by_pid(pid)
g.check(f"[{mode}] the app is on the accessibility bus", app is not None)
if app is None:
    g.finish()


def sensitive(node):
    try:
        return node.getState().contains(pyatspi.STATE_SENSITIVE)
    except Exception:
        return False


def label(desc, timeout=10):
    n = g.find_desc(app, desc, timeout=timeout)
    return g.name_of(n) if n is not None else ""


def label_becomes(desc, pred, timeout=10):
    """The label with this description, once pred(its text) holds ("" if never)."""
    n = g.find_desc(app, desc, timeout=timeout)
    if n is None:
        return ""
    g.wait_for(lambda: pred(g.name_of(n)), timeout=timeout)
    return g.name_of(n)


def set_text(name, text):
    e = g.find(app, name)
    if e is None:
        return False
    e.queryEditableText().setTextContents(text)
    return g.wait_for(lambda: g.text_of(e) == text, timeout=3)


def type_into(name, text):
    e = g.find(app, name)
    if e is None:
        return False
    g.click(e)
    g.key("ctrl+a")
    g.key("BackSpace")
    g.type_text(text)
    return True


def profile_files():
    return sorted(os.listdir(PROF)) if os.path.isdir(PROF) else []


def main_window_open(timeout=20):
    return g.find_desc(app, "Sync status", timeout=timeout) is not None


def cli(*args):
    p = subprocess.run([os.environ["KT_CLI"], "--profile", PROF, *args], capture_output=True,
                       text=True)
    return p.returncode, p.stdout + p.stderr


if mode == "connect":
    b = g.find(app, "Connect to the office server")
    g.check("the first start offers to connect to the office server", b is not None)
    g.check("... or a card index on this PC only",
            g.find(app, "Start a card index on this PC only") is not None)
    g.check("... and the main window is not open", g.find_desc(app, "Sync status", timeout=1) is None)
    if b is None:
        g.finish()
    g.click(b)
    g.check("an invite entry", g.find(app, "Invite") is not None)
    set_text("Invite", "hello, this is my invite")
    why = label_becomes("Error invite", lambda t: t != "")
    g.check("a malformed invite is marked with the reason", "not a Kartoteka invite" in why, why)
    inv = os.environ["KT_INVITE"]
    set_text("Invite", inv[:-1])
    why = label_becomes("Error invite", lambda t: "damaged" in t)
    g.check("... a damaged one too", "damaged" in why and "copy it again" in why, why)
    conn = g.find(app, "Connect")
    g.check("... and Connect cannot be pressed", conn is not None and not sensitive(conn))

    set_text("Invite", inv)
    fpr = label_becomes("Server fingerprint", lambda t: t != "")
    g.check("the invite shows the server's fingerprint for confirmation",
            fpr == os.environ["KT_FPR"], f"{fpr} vs {os.environ['KT_FPR']}")
    addr = label("Server address")
    g.check("... and its address", addr == os.environ["KT_ADDR"], addr)
    g.check("... and the account", label("Account") == "vera", label("Account"))
    g.check("the invite's error is gone", label("Error invite", timeout=1) == "")
    type_into("Password", os.environ["KT_WRONGPW"])
    g.check("Connect waits for the confirmation", conn is not None and not sensitive(conn))
    confirm = g.find(app, "Confirm server")
    g.click(confirm)
    g.check("... then it can be pressed", g.wait_for(lambda: sensitive(conn), timeout=5))
    g.click(conn)
    why = label_becomes("Error password", lambda t: t != "", timeout=20)
    g.check("a wrong password shows the server's refusal on the password",
            "wrong password for vera" in why, why)
    g.check("... and leaves no profile", profile_files() == [], profile_files())
    g.check("... and the main window is not open", g.find_desc(app, "Sync status", timeout=1) is None)

    type_into("Password", os.environ["KT_PW"])
    g.check("typing again clears the refusal",
            label_becomes("Error password", lambda t: t == "", timeout=5) == "")
    g.click(conn)
    g.check("the right password opens the main window", main_window_open(30))
    g.check("... the first-start window is gone",
            g.find(app, "Start a card index on this PC only", timeout=1) is None)
    card = os.environ["KT_CARD"]
    g.check("the colleague's card is in the list", g.find(app, card, timeout=20) is not None, card)
    sync = g.find_desc(app, "Sync status")
    g.check("... and the app syncs with the office",
            g.wait_for(lambda: g.name_of(sync).startswith("Online"), timeout=20), g.name_of(sync))
    rc, out = cli("status")
    g.check("the CLI sees a connected profile", rc == 0 and os.environ["KT_ADDR"] in out, out)

elif mode == "local":
    b = g.find(app, "Start a card index on this PC only")
    g.check("the first start offers a card index on this PC only", b is not None)
    if b is None:
        g.finish()
    g.click(b)
    g.check("a user name entry", g.find(app, "User name") is not None)
    set_text("User name", "   ")
    start = g.find(app, "Start")
    g.click(start)
    why = label_becomes("Error user name", lambda t: t != "", timeout=5)
    g.check("no name is marked on the name", why != "", why)
    g.check("... and makes nothing", profile_files() == [], profile_files())
    set_text("User name", "Мария")
    g.check("typing clears the mark", label_becomes("Error user name", lambda t: t == "", 5) == "")
    g.click(start)
    g.check("the main window opens", main_window_open())
    sync = g.find_desc(app, "Sync status")
    g.check("... on a card index of this PC only",
            g.wait_for(lambda: g.name_of(sync) == "This PC only"), g.name_of(sync))
    g.check("... with its sections", g.find(app, "Section org") is not None)

elif mode == "restart":
    g.check("a later start opens straight into the main window", main_window_open())
    g.check("... with no first-start window",
            g.find(app, "Connect to the office server", timeout=1) is None and
            g.find(app, "Start a card index on this PC only", timeout=1) is None)
    g.check("... and no password asked", g.find(app, "Session password", timeout=3) is None)
    want = os.environ.get("KT_SYNC", "")
    if want:
        sync = g.find_desc(app, "Sync status")
        g.check(f"... it is {want}", g.wait_for(lambda: g.name_of(sync).startswith(want), timeout=20),
                g.name_of(sync))

elif mode == "expired":
    g.check("the main window opens", main_window_open())
    pw = g.find(app, "Session password", timeout=20)
    g.check("the expired session asks for the password", pw is not None)
    if pw is None:
        g.finish()
    type_into("Session password", "not the password")
    g.click(g.find(app, "Log in now"))
    why = label_becomes("Error session password", lambda t: t != "", timeout=20)
    g.check("a wrong password is marked in the dialog", "wrong user name or password" in why, why)
    type_into("Session password", os.environ["KT_PW"])
    g.key("Return")
    g.check("the right one closes the dialog",
            g.wait_for(lambda: g.find(app, "Session password", timeout=0) is None, timeout=20))
    sync = g.find_desc(app, "Sync status")
    g.check("... and the app is online again",
            g.wait_for(lambda: g.name_of(sync).startswith("Online"), timeout=20), g.name_of(sync))

g.finish()
