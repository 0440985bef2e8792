"""Screenshots of the desktop app's screens for `make screenshots`
(tools/screenshots.sh): argv = pid, output folder, language."""
import subprocess
import sys
import time

import gui_driver as g

pid, out, lang = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def shot(name):
    time.sleep(0.8)
    subprocess.run(["import", "-window", "root", f"{out}/{name}-{lang}.png"], check=False)


app = g.app_by_pid(pid)
if app is None:
    sys.exit("the app did not appear on the accessibility bus")
time.sleep(1.5)
shot("list")
first = g.find(app, "АО «", prefix=True) or g.find(app, "ООО «", prefix=True)
if first is not None:
    g.click(first)
shot("card")
edit = g.find(app, "Edit card", timeout=3)
if edit is not None:
    g.click(edit)
    shot("form")
    phone = g.find(app, "Field phone", timeout=3)
    if phone is not None:
        try:
            phone.queryEditableText().setTextContents("call me")
        except Exception:
            pass
        save = g.find(app, "Save", timeout=3)
        if save is not None:
            g.click(save)
        shot("form-error")
    g.key("Escape")
