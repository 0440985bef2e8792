#!/usr/bin/python3
"""rights_oracle — what each replica must hold, computed from the master's dump.

An independent model of DESIGN.md's visibility rules (it does not ask the server
and shares no code with it): it reads the master's canonical dump (`kartotekad
dump`, one line per record: `TYPE ID FIELD=VALUE@STAMP/DEVICE ...`), filters it
by each user's rights at this moment, and compares the result with that PC's
replica dump (`kartoteka dump`), record by record and field by field.

Rules (DESIGN.md "Users and rights", DESIGN-NOTES.md "Rights as built"):
- a record's scope is the owner and group of the client card it belongs to:
  orgs their own; a contact with an org (present in the master, trashed or not)
  follows the org, else its own; tasks, events, notes, deals follow their org,
  else their contact (which follows its org), else their own; links their org,
  else their own; a conflict record follows the record it is about (its own
  owner/group when that record is not in the master); reminders are their
  owner's; groups, field definitions, sections and staff are read by everyone;
- an assignee reads their own tasks and events;
- read level all: everything of the type; group: own, or the scope's group is
  one of the user's groups or a subgroup of one (groups in the master's trash
  do not count); own: the scope's owner is the user; none: nothing;
- without see_contacts, the protected fields (phones, e-mails, messenger, and
  custom fields of type phone or email) of a record whose scope owner is not
  the user are absent (no value, no version); so are the value and winner of a
  conflict record about such a field;
- a visible record's other fields equal the master's, versions included.
Records with unsent changes in a PC's outbox (the server refused them and they
wait for a correction) are left out on both sides and counted.

Each difference has a kind (KINDS below); a difference on a record the server
refused a change to from this PC (the audit's denied.* entries with its device)
is of kind refused-kept.

Usage: rights_oracle.py MASTER_DUMP SPEC_JSON
SPEC_JSON: {"roles": {ROLE: {"read": {TYPE: LEVEL}, "see_contacts": BOOL}},
            "audit": PATH (`kartotekad audit --json`), "known": [KIND, ..],
            "pcs": [{"pc", "user", "role", "groups": [..], "device": ID,
                     "dump": PATH, "pending": [ID, ..]}]}
(the shipped roles are built in; "roles" adds custom ones). Prints one summary
line per PC, counts by kind, then the differences; exit 1 when any difference
is of a kind not listed in "known".
"""
import json
import re
import sys

CLIENT_TYPES = ("org", "contact", "task", "event", "note", "link", "deal")
CONFIG_TYPES = ("group", "field_def", "section", "staff", "template", "mail_setting")
ASSIGNED = ("task", "event")
PROTECTED = {
    "org": {"phone", "phone2", "email"},
    "contact": {"phone_work", "phone_mobile", "phone_home", "email", "email2", "messenger"},
    "conflict": {"pvalue", "pwinner"},  # a conflict about a protected field keeps its values here
}


def shipped(level, see):
    read = {t: level for t in CLIENT_TYPES}
    read["conflict"] = level
    read["tagging"] = level  # a card's tags (one record per tag) are read like the cards
    return {"read": read, "see_contacts": see}


ROLES = {
    "administrator": shipped("all", True),
    "head_of_sales": shipped("all", True),
    "assistant": shipped("all", True),
    "manager": shipped("own", False),
}

FIELD_RE = re.compile(r" ([a-z][a-z0-9_]*)=(.*?)@(\d+)/([0-9a-f-]+|\?)(?= [a-z][a-z0-9_]*=|$)")


def parse_dump(path):
    recs = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line:
            continue
        typ, rid, rest = (line.split(" ", 2) + [""])[:3]
        rest = " " + rest if rest else ""
        fields = {}
        for m in FIELD_RE.finditer(rest):
            fields[m.group(1)] = (m.group(2), m.group(3) + "/" + m.group(4))
        again = "".join(f" {k}={v}@{s}" for k, (v, s) in fields.items())
        if again != rest:
            sys.exit(f"rights_oracle: cannot parse line {n} of {path}: {line[:200]}")
        recs[(typ, rid)] = fields
    return recs


def val(rec, name):
    f = rec.get(name)
    return f[0] if f else ""


class Master:
    def __init__(self, recs):
        self.recs = recs
        # custom fields of type phone or email are protected too
        self.protected = {t: set(s) for t, s in PROTECTED.items()}
        self.custom_email = {}
        for (typ, _), r in recs.items():
            if typ == "field_def" and val(r, "ftype") in ("phone", "email"):
                self.protected.setdefault(val(r, "etype"), set()).add(val(r, "name"))
            if typ == "field_def" and val(r, "ftype") == "email":
                self.custom_email.setdefault(val(r, "etype"), set()).add(val(r, "name"))
        self.children = {}
        for (typ, _), r in recs.items():
            if typ == "group" and val(r, "deleted") != "true" and val(r, "parent"):
                self.children.setdefault(val(r, "parent"), set()).add(val(r, "name"))

    def card(self, typ, rid):
        return self.recs.get((typ, rid)) if rid else None

    def scope(self, typ, r, depth=0):
        """(owner, grp, assignee) of a record."""
        own = (val(r, "owner"), val(r, "grp"))
        asg = val(r, "assignee") if typ in ASSIGNED else ""
        if depth > 3:
            return own + ("",)
        if typ == "contact":
            o = self.card("org", val(r, "org"))
            if o is not None:
                return self.scope("org", o, depth + 1)[:2] + ("",)
        elif typ in ("task", "event", "note", "deal", "link", "tagging"):
            o = self.card("org", val(r, "org"))
            if o is not None:
                return self.scope("org", o, depth + 1)[:2] + (asg,)
            c = self.card("contact", val(r, "contact")) if typ != "link" else None
            if c is not None:
                return self.scope("contact", c, depth + 1)[:2] + (asg,)
        elif typ == "conflict":
            st = val(r, "rtype")
            s = self.card(st, val(r, "rid"))
            if s is not None:
                return self.scope(st, s, depth + 1)  # the subject's assignee too
        return own + (asg,)

    def groups(self, given):
        out, todo = set(), list(given)
        while todo:
            g = todo.pop()
            if g and g not in out:
                out.add(g)
                todo.extend(self.children.get(g, ()))
        return out


def reads(role, user, groups, typ, sc):
    owner, grp, asg = sc
    if typ in CONFIG_TYPES:
        return True
    if typ == "reminder":
        return owner == user
    if asg and asg == user:  # tasks, events and (through their subject) their conflicts
        return True
    lvl = role["read"].get(typ, "none")
    if lvl == "all":
        return True
    if lvl == "group":
        return owner == user or (grp != "" and grp in groups)
    if lvl == "own":
        return owner == user
    return False


def expected(master, role, user, given_groups):
    groups = master.groups(given_groups)
    exp, nhidden = {}, 0
    for (typ, rid), r in master.recs.items():
        sc = master.scope(typ, r)
        if not reads(role, user, groups, typ, sc):
            continue
        hide = not role["see_contacts"] and sc[0] != user
        fields = dict(r)
        if hide:
            for f in master.protected.get(typ, ()):
                if fields.pop(f, None) is not None:
                    nhidden += 1
            if typ == "conflict" and val(r, "field") in master.protected.get(val(r, "rtype"), ()):
                for f in ("value", "winner"):
                    if fields.pop(f, None) is not None:
                        nhidden += 1
        exp[(typ, rid)] = (fields, sc, hide)
    return exp, nhidden


def title(typ, fields):
    for f in ("name", "last_name", "title", "field", "etype"):
        if f in fields:
            return f"{f}={fields[f][0]}"
    return ""


# Kinds of difference (KT_KNOWN in converge_rights.sh may tolerate some):
KINDS = {
    "missing": "a record the user may read is not in the replica",
    "extra": "the replica holds a record the user may not read",
    "field": "a field differs from the master's",
    "protected-shown": "a protected field of a colleague's card is in the replica",
    "custom-email": "a custom e-mail field of a colleague's card is in the replica",
    "conflict-protected": "a conflict record shows a protected value of a colleague's card",
    "conflict-assignee": "a conflict about a task/event the user is the assignee of is missing",
    "refused-kept": "the replica keeps a change the server refused from this PC (audit denied.*)",
}


def compare(master, pc, roles, denied):
    role = roles.get(pc["role"])
    if role is None:
        sys.exit(f"rights_oracle: unknown role {pc['role']}")
    user, groups_given = pc["user"], pc.get("groups", [])
    exp, nhidden = expected(master, role, user, groups_given)
    groups = master.groups(groups_given)
    have = parse_dump(pc["dump"])
    pending = set(pc.get("pending", []))
    mine_denied = {o: d for o, ds in denied.items() for (dev, d) in ds if dev == pc.get("device")}
    diffs = []
    skipped = 0
    who = f"{pc['pc']} ({user}, {pc['role']}, groups {','.join(groups_given) or '-'})"

    def add(kind, typ, rid, text):
        note = f" [refused from this PC: {mine_denied[rid][:160]}]" if rid in mine_denied else ""
        diffs.append((kind, f"{who}: {text}{note}"))

    for key in sorted(set(exp) | set(have)):
        typ, rid = key
        if rid in pending:
            skipped += 1
            continue
        if key not in have:
            fields, sc, _ = exp[key]
            kind = "missing"
            if typ == "conflict" and not reads(role, user, groups, typ, sc[:2] + ("",)):
                kind = "conflict-assignee"
            add(kind, typ, rid, f"MISSING {typ} {rid} {title(typ, fields)} "
                f"(scope owner={sc[0] or '-'} grp={sc[1] or '-'} assignee={sc[2] or '-'})")
            continue
        if key not in exp:
            r = master.recs.get(key)
            kind = "refused-kept" if rid in mine_denied else "extra"
            if r is None:
                add(kind, typ, rid, f"EXTRA {typ} {rid} {title(typ, have[key])}: not in the master")
            else:
                sc = master.scope(typ, r)
                add(kind, typ, rid, f"EXTRA {typ} {rid} {title(typ, r)}: not this user's to read "
                    f"(scope owner={sc[0] or '-'} grp={sc[1] or '-'} assignee={sc[2] or '-'})")
            continue
        want, sc, hide = exp[key]
        got = have[key]
        for f in sorted(set(want) | set(got)):
            if want.get(f) == got.get(f):
                continue
            full = master.recs[key].get(f)
            head = f"{typ} {rid} {title(typ, want)} field {f}"
            if f not in want and full is not None and hide:
                if typ == "conflict":
                    kind = "conflict-protected"
                elif f in master.custom_email.get(typ, ()):
                    kind = "custom-email"
                else:
                    kind = "protected-shown"
                add(kind, typ, rid, f"{head}: {KINDS[kind]} (scope owner {sc[0] or '-'}, no "
                    f"see_contacts): replica has [{got[f][0]}@{got[f][1]}], master "
                    f"[{full[0]}@{full[1]}]")
                continue
            kind = "refused-kept" if rid in mine_denied else "field"
            if f not in got:
                add(kind, typ, rid, f"{head}: missing, master has [{want[f][0]}@{want[f][1]}]")
            elif f not in want:
                add(kind, typ, rid, f"{head}: extra [{got[f][0]}@{got[f][1]}], not in the master")
            else:
                add(kind, typ, rid, f"{head}: replica [{got[f][0]}@{got[f][1]}], master "
                    f"[{want[f][0]}@{want[f][1]}]")
    nexp = sum(1 for k in exp if k[1] not in pending)
    cards = sum(1 for k in exp if k[0] in CLIENT_TYPES and k[1] not in pending)
    print(f"{pc['pc']}: {user} as {pc['role']}: {nexp} records expected ({cards} client "
          f"records, {nhidden} protected values hidden), {skipped} left out (unsent changes), "
          f"{len(diffs)} differences")
    return diffs


def main():
    master = Master(parse_dump(sys.argv[1]))
    spec = json.load(open(sys.argv[2], encoding="utf-8"))
    roles = dict(ROLES)
    roles.update(spec.get("roles", {}))
    known = set(spec.get("known", []))
    denied = {}
    if spec.get("audit"):
        for e in json.load(open(spec["audit"], encoding="utf-8")):
            if e["action"].startswith("denied."):
                denied.setdefault(e["object"], []).append(
                    (e["device"], f"{e['action']} {e['detail']}"))
    alld = []
    for pc in spec["pcs"]:
        alld += compare(master, pc, roles, denied)
    bad = [d for d in alld if d[0] not in known]
    tolerated = [d for d in alld if d[0] in known]
    for kind in KINDS:
        n = sum(1 for d in alld if d[0] == kind)
        if n:
            print(f"{kind}: {n}{' (tolerated: KT_KNOWN)' if kind in known else ''} — {KINDS[kind]}")
    for kind, d in (bad + tolerated)[:60]:
        print(f"  {kind}{'(known)' if kind in known else ''}: {d}")
    if len(alld) > 60:
        print(f"  ... and {len(alld) - 60} more")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
