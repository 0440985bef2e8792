"""gui_driver — drives the real kartoteka-gtk through AT-SPI (run with
/usr/bin/python3 inside an Xvfb + session-bus session, see gui_session.sh).
Widgets are found by their accessible names (every interactive widget of the
app has one); typing and clicks go through xdotool, as a user's would.
Each check prints PASS:/FAIL: lines for tests/run.sh."""
import os
import subprocess
import sys
import time

import pyatspi

FAILS = 0


def check(name, ok, detail=""):
    global FAILS
    if ok:
        print(f"PASS: {name}", flush=True)
    else:
        FAILS += 1
        print(f"FAIL: {name}{' — ' + str(detail) if detail else ''}", flush=True)


def app_by_pid(pid, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            a = desktop.getChildAtIndex(i)
            try:
                if a is not None and a.get_process_id() == pid:
                    return a
            except Exception:
                pass
        time.sleep(0.2)
    return None


def walk(node, depth=0, limit=40):
    if node is None or depth > limit:
        return
    yield node
    try:
        n = node.childCount
    except Exception:
        return
    for i in range(n):
        try:
            c = node.getChildAtIndex(i)
        except Exception:
            continue
        yield from walk(c, depth + 1, limit)


def find(root, name, timeout=10, prefix=False):
    end = time.time() + timeout
    while True:
        for n in walk(root):
            try:
                nm = n.name or ""
            except Exception:
                continue
            if nm == name or (prefix and nm.startswith(name)):
                return n
        if time.time() > end:
            return None
        time.sleep(0.2)


def find_desc(root, desc, timeout=10):
    """The first node whose accessible description is desc."""
    end = time.time() + timeout
    while True:
        for n in walk(root):
            try:
                if (n.description or "") == desc:
                    return n
            except Exception:
                continue
        if time.time() > end:
            return None
        time.sleep(0.2)


def name_of(node):
    try:
        return node.name or ""
    except Exception:
        return ""


def find_all(root, prefix):
    out = []
    for n in walk(root):
        try:
            if (n.name or "").startswith(prefix):
                out.append(n)
        except Exception:
            pass
    return out


def text_of(node):
    try:
        t = node.queryText()
        return t.getText(0, t.characterCount)
    except Exception:
        return node.name or ""


def click(node):
    ext = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    x, y = ext.x + ext.width // 2, ext.y + ext.height // 2
    subprocess.run(["xdotool", "mousemove", str(x), str(y), "click", "1"], check=False)


def type_text(text):
    subprocess.run(["xdotool", "type", "--delay", "40", text], check=False)


def key(k):
    subprocess.run(["xdotool", "key", k], check=False)


def wait_for(pred, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def finish():
    sys.exit(1 if FAILS else 0)
