#!/usr/bin/python3
"""A randomized hostile pusher: random Changes from non-administrators' enrolled devices
against a real kartotekad, each push judged by an oracle of its own.

usage: hostile.py --addr HOST:PORT --ca CA.crt --master master.db --pb DIR
                  --device NAME:USER:PROFILE_DIR ... [--password-file F] [--seed N] [--pushes N]

--pb DIR holds kartoteka_pb2.py (made once per run: protoc --python_out=DIR). Every
--device is a real enrolled PC (PROFILE_DIR/device.crt, device.key); each keeps ONE mutual
TLS connection (Hello, Login, then Push/PushAck, one Change per Push, so every master change
belongs to exactly one change). After each push the master is read (read-only; WAL) and
every new or changed row of the record tables t_* (values and per-field versions from the
`ver` blob) is judged by the rules below, written here from DESIGN.md and the issue, not by
calling the server's code:

  scope     org: its owner/grp; contact: its org's, else its own; task, event, deal, note,
            link: their org's, else their contact's (which follows its org), else their own;
            configuration (group, field_def, section, reminder): its own; conflict: the
            record it is about. Tasks and events also carry their assignee.
  create    EDIT at the new record's scope (an assignee's own exception does not count);
            a client card (org, contact) whose owner is not the pusher needs +reassign
  edit      READ at the scope before; EDIT at the scope before and after. A field whose
            version changed counts even when its value did not (a stamp-only change).
            The assignee of a task/event may read and edit it, but not move it to another
            card (org, contact), change its assignee, owner or grp (value changes): that
            needs the role's EDIT at the card's scope.
  deleted   a value change needs DELETE at the scope before (the role's; never the assignee)
  owner/grp a value change on an existing record needs +reassign
  protected phone/e-mail/messenger fields (KT_FF_CONTACT, custom phone fields too) of a card
            whose scope owner is somebody else need +see_contacts
  conflict  a new conflict row only about the pushed record, and only if the pusher may edit
            it; existing conflict rows never change; staff never changes
  rows      never disappear; records other than the pushed one never change

and the answers: every push gets a PushAck (an Error would end the conversation); REJECTED
leaves the master as it was; the pushed record changes only with APPLIED; a change number
already taken changes nothing; REJECTED carries a KT_E* code (a property of its own). A
positive control: legitimate edits (a manager's own cards, a group-level role's group cards,
an assistant's assigned tasks; fresh stamps, one field) must all be APPLIED — the run starts
with a round of them and mixes more in.

The changes: random types (also configuration, server-written and unknown ones), ids of
everybody's records, of other types, new and malformed ones, 1-4 fields (owners, groups,
references, assignees, the deleted flag and protected fields more often), a field named
twice or thrice with other values and stamps, stamps equal to the stored ones (decoded from
the `ver` blobs), below, a little above, fresh, zero and too far ahead; replays of used
change numbers; crafted "named twice" changes (a harmless value last, the hostile one with
the higher stamp). The registry copy below must follow common/kt_registry.c (checked
against the master's tables at start).

Output: PASS:/FAIL: lines (one per property) and, on the first violation,
"FAIL: seed=N push #K: TYPE ID WHAT by USER: WHY (...) [TAGS]; change: ..." with the
offending change; the run stops there unless KT_KEEP_GOING=1 (then every violation is
printed, up to KT_MAX_FAILS=40, and the info line counts them by tag: equal-stamp,
repeated-field, stamp-only, conflict, assignee, assignee-create, ...).
"""
import argparse, os, random, re, socket, sqlite3, ssl, struct, sys, time, uuid

# ---- the registry, as DESIGN.md and the issue describe it ----------------------------------
CLIENT, ASSIGNED, CONFIG, SYSTEM = 1, 2, 4, 8
C = 1  # field flag: protected (KT_FF_CONTACT)
COMMON = [("id", "uuid", 0), ("owner", "user", 0), ("grp", "group", 0), ("created", "datetime", 0),
          ("updated", "datetime", 0), ("deleted", "bool", 0)]
def _f(spec):
    out = []
    for item in spec.split():
        name, ft, *fl = item.split(":")
        out.append((name, ft, C if fl else 0))
    return out
TYPES = {
    "org": (CLIENT, _f("name:text legal_name:text tax_id:text industry:text size:choice "
                       "employees:int turnover:money country:text region:text city:text street:text "
                       "phone:phone:C phone2:phone:C email:email:C site:url work_hours:text "
                       "best_time:text channel:choice stage:choice color:choice temperature:choice "
                       "comment:longtext no_mailings:bool tags:tags")),
    "contact": (CLIENT, _f("last_name:text first_name:text middle_name:text position:text org:ref "
                           "phone_work:phone:C phone_mobile:phone:C phone_home:phone:C email:email:C "
                           "email2:email:C messenger:text:C social:text address:text city:text "
                           "birthday:date gender:choice comment:longtext no_mailings:bool tags:tags")),
    "task": (ASSIGNED, _f("title:text description:longtext due:datetime priority:choice status:choice "
                          "assignee:user org:ref contact:ref remind_at:datetime remind_before:duration "
                          "rrule:rrule")),
    "event": (ASSIGNED, _f("type:choice title:text start:datetime duration:duration assignee:user "
                           "org:ref contact:ref status:choice result:choice remind_at:datetime "
                           "remind_before:duration rrule:rrule comment:longtext")),
    "note": (0, _f("title:text text:longtext org:ref contact:ref")),
    "link": (0, _f("url:url title:text comment:longtext org:ref")),
    "deal": (0, _f("date:date amount:money paid:money state:choice units:number org:ref contact:ref "
                   "comment:longtext")),
    "group": (CONFIG, _f("name:text parent:group comment:longtext")),
    "field_def": (CONFIG, _f("etype:text name:text label:text ftype:choice choices:longtext hidden:bool "
                                   "yearly:bool")),
    "section": (CONFIG, _f("etype:text label:text hidden:bool")),
    "conflict": (SYSTEM, _f("rtype:text rid:text field:text value:longtext winner:longtext "
                            "lost_by:user won_by:user pvalue:longtext:C pwinner:longtext:C cause:choice")),
    "reminder": (CONFIG, _f("rtype:text rid:text at:datetime state:choice until:datetime")),
    "staff": (CONFIG | SYSTEM, _f("name:user birthday:date")),
    "template": (CONFIG, _f("name:text kind:choice subject:text body:longtext html:longtext "
                            "comment:longtext")),
    "mail_setting": (CONFIG, _f("smtp:url starttls:bool login:text sender:email days:int")),
    # one tag of a card (KT_TF_ELEMENT): scope and rights follow the card (org's levels)
    "tagging": (0, _f("org:ref contact:ref field:text tag:text")),
}
for _t, (_fl, _fs) in TYPES.items():
    TYPES[_t] = (_fl, COMMON + _fs)
INT_TYPES = {"int", "money", "datetime", "duration", "bool"}
CARD_TYPES = ["org", "contact", "task", "event", "note", "link", "deal"]
LINKS = {"org", "contact", "assignee", "owner", "grp"}
LEVELS = {"none": 0, "own": 1, "group": 2, "all": 3}
READ, EDIT, DELETE = 0, 1, 2
ACT = ("READ", "EDIT", "DELETE")

def flags(t):
    return TYPES[t][0]

# ---- the master, read-only ------------------------------------------------------------------
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << s; s += 7
        if c < 0x80:
            return v, i

def decode_ver(blob):
    """ver blob (common/kt_ver.c): varint ngroups, per group u64le stamp, varint device,
    varint mask[0], varint mask[1]. -> {vidx: (stamp, device index)}"""
    out = {}
    if not blob:
        return out
    ng, i = varint(blob, 0)
    for _ in range(ng):
        st = int.from_bytes(blob[i:i + 8], "little"); i += 8
        dev, i = varint(blob, i)
        w0, i = varint(blob, i)
        w1, i = varint(blob, i)
        w = w0 | (w1 << 64)
        k = 0
        while w:
            if w & 1:
                out[k] = (st, dev)
            w >>= 1; k += 1
    if i != len(blob):
        raise ValueError("trailing bytes in a ver blob")
    return out

class Snap:
    """One consistent read of the master: record rows, devices, users, roles, groups.

    Snap(db) reads everything; snap.next(db) reads the state after a push. To keep a long
    run fast, the master's record tables are mirrored in an in-memory database attached to
    the read connection: SQLite compares every column of every row with the mirror (in C)
    and only rows that differ are read into Python. `changed` / `removed` name them."""

    _vers = {}

    def __init__(self, db, prev=None):
        cur = db.cursor()
        if prev is None:
            cur.execute("ATTACH ':memory:' AS mirror")
        cur.execute("BEGIN")
        try:
            self.devices = dict(cur.execute("SELECT idx, uuid FROM device"))
            schema = cur.execute("PRAGMA main.schema_version").fetchone()[0]
            full = prev is None or prev.schema != schema
            self.schema = schema
            if full:
                self._read_all(cur, prev)
            else:
                self._read_changes(cur, prev)
            self.users = {r[0]: (r[1], r[2] or "") for r in cur.execute(
                "SELECT name, role, grp FROM srv_user")}
            self.roles = dict(cur.execute("SELECT name, rights FROM srv_role"))
            self.last_counter = dict(cur.execute("SELECT id, last_counter FROM srv_device"))
        finally:
            cur.execute("COMMIT")

    def next(self, db):
        return Snap(db, self)

    def _read_all(self, cur, prev):
        self.tables, self.cols, self.colidx, self.rid2id = {}, {}, {}, {}
        self.changed, self.removed = {}, {}
        names = [r[0] for r in cur.execute(
            "SELECT name FROM main.sqlite_master WHERE type='table' AND name LIKE 't\\_%' ESCAPE '\\'")]
        for tab in names:
            t = tab[2:]
            cols = [r[1] for r in cur.execute(f'PRAGMA main.table_info("{tab}")')
                    if r[1] not in ("rowid", "updated")]
            self.cols[t] = cols
            self.colidx[t] = {c: i for i, c in enumerate(cols)}
            sel = ", ".join(f'"{c}"' for c in cols)
            rows = list(cur.execute(f'SELECT rowid, {sel} FROM main."{tab}" ORDER BY rowid'))
            self.tables[t] = {r[1]: r[1:] for r in rows}
            self.rid2id[t] = {r[0]: r[1] for r in rows}
            cur.execute(f'DROP TABLE IF EXISTS mirror."{tab}"')
            cur.execute(f'CREATE TABLE mirror."{tab}" AS SELECT rowid AS rid_, {sel} FROM main."{tab}"')
            cur.execute(f'CREATE UNIQUE INDEX mirror."{tab}_rid_" ON "{tab}" (rid_)')
            if prev is not None:  # a schema change: compare in Python
                bt = prev.tables.get(t, {})
                ch = {i for i, tup in self.tables[t].items() if i not in bt or
                      Row(prev, t, bt[i]).as_dict() != Row(self, t, tup).as_dict()}
                if ch:
                    self.changed[t] = ch
                rm = set(bt) - set(self.tables[t])
                if rm:
                    self.removed[t] = rm

    def _read_changes(self, cur, prev):
        self.cols, self.colidx = prev.cols, prev.colidx
        self.tables, self.rid2id = dict(prev.tables), dict(prev.rid2id)
        self.changed, self.removed = {}, {}
        for t, cols in self.cols.items():
            tab = "t_" + t
            sel = ", ".join(f'm."{c}"' for c in cols)
            same = " AND ".join(f'p."{c}" IS m."{c}"' for c in cols)
            new = list(cur.execute(f'SELECT m.rowid, {sel} FROM main."{tab}" m LEFT JOIN mirror."{tab}" p '
                                   f'ON p.rid_ = m.rowid WHERE p.rid_ IS NULL OR NOT ({same})'))
            gone = [r[0] for r in cur.execute(
                f'SELECT p.rid_ FROM mirror."{tab}" p WHERE NOT EXISTS '
                f'(SELECT 1 FROM main."{tab}" m WHERE m.rowid = p.rid_)')]
            if not new and not gone:
                continue
            tabd, r2i = dict(self.tables[t]), dict(self.rid2id[t])
            for rid_ in gone:
                old = r2i.pop(rid_)
                tabd.pop(old, None)
                self.removed.setdefault(t, set()).add(old)
            for r in new:
                old = r2i.get(r[0])
                if old is not None and old != r[1]:  # another record under the same rowid
                    tabd.pop(old, None)
                    self.removed.setdefault(t, set()).add(old)
                tabd[r[1]] = r[1:]  # in place when it was there: the order stays the rowid order
                r2i[r[0]] = r[1]
                self.changed.setdefault(t, set()).add(r[1])
            self.tables[t], self.rid2id[t] = tabd, r2i
            ids = ",".join(str(int(x)) for x in gone + [r[0] for r in new])
            cur.execute(f'DELETE FROM mirror."{tab}" WHERE rid_ IN ({ids})')
            cur.execute(f'INSERT INTO mirror."{tab}" SELECT rowid, {", ".join(chr(34) + c + chr(34) for c in cols)} '
                        f'FROM main."{tab}" WHERE rowid IN ({ids})')

    def row(self, t, rid):
        r = self.tables.get(t, {}).get(rid)
        return None if r is None else Row(self, t, r)

    def vidx_names(self, t):
        """version index -> field name: built-ins in registry order, custom fields 64.. in the
        order of their c_<name> columns (DESIGN-NOTES "Field versions")."""
        m = {i: f[0] for i, f in enumerate(TYPES[t][1])} if t in TYPES else {}
        k = 64
        for c in self.cols.get(t, []):
            if c.startswith("c_"):
                m[k] = c; k += 1
        return m

    def vers(self, t, blob):
        key = (t, len(self.cols.get(t, ())), blob)
        v = self._vers.get(key)
        if v is None:
            names = self.vidx_names(t)
            v = {names.get(i, "?%d" % i): (st, self.devices.get(dev, "?%d" % dev))
                 for i, (st, dev) in decode_ver(blob).items()}
            if len(self._vers) > 200000:
                self._vers.clear()
            self._vers[key] = v
        return v

class Row:
    def __init__(self, snap, t, tup):
        self.snap, self.t, self.tup = snap, t, tup
        self.id = tup[0]

    def get(self, col):
        i = self.snap.colidx[self.t].get(col)
        return None if i is None else self.tup[i]

    def as_dict(self):
        d = dict(zip(self.snap.cols[self.t], self.tup))
        d.pop("ver", None)
        return d, self.vers()

    def s(self, col):  # as text, "" when unset
        v = self.get(col)
        return "" if v is None else str(v)

    def vers(self):
        return self.snap.vers(self.t, self.get("ver"))

# ---- rights ---------------------------------------------------------------------------------
class Who:
    def __init__(self, snap, user):
        self.user = user
        role, grp = snap.users[user]
        self.role = role
        self.lvl = {t: [0, 0, 0] for t in TYPES}
        self.flags = set()
        for tok in snap.roles[role].split():
            if tok[0] in "+-":
                (self.flags.add if tok[0] == "+" else self.flags.discard)(tok[1:])
                continue
            t, lv = tok.split("=")
            if "." in t:
                t, a = t.split(".")
                self.lvl.setdefault(t, [0, 0, 0])[("read", "edit", "delete").index(a)] = LEVELS[lv]
            else:
                self.lvl[t] = [LEVELS[x] for x in lv.split("/")]
        # a card's tags are part of the card: read like it, tagging and untagging is editing it
        self.lvl["tagging"] = [self.lvl["org"][READ], self.lvl["org"][EDIT], self.lvl["org"][EDIT]]
        for t in TYPES:  # written by the server only, whatever a role's text says
            if flags(t) & SYSTEM:
                self.lvl[t][EDIT] = self.lvl[t][DELETE] = 0
        groups = {g.strip() for g in grp.split(",") if g.strip()}
        live = [Row(snap, "group", r) for r in snap.tables.get("group", {}).values()]
        live = [(g.s("name"), g.s("parent")) for g in live if not g.get("deleted")]
        grew = bool(groups)
        while grew:
            grew = False
            for name, parent in live:
                if name and parent in groups and name not in groups:
                    groups.add(name); grew = True
        self.groups = groups

    def allows(self, t, act, sc, assignee_ok=True):
        owner, grp, asg = sc
        if assignee_ok and act != DELETE and flags(t) & ASSIGNED and asg and asg == self.user:
            return True
        lv = self.lvl.get(t, [0, 0, 0])[act]
        if lv == 3:
            return True
        if lv == 2:
            return owner == self.user or (grp != "" and grp in self.groups)
        if lv == 1:
            return owner == self.user
        return False

def card_scope(snap, t, rid, depth=0):
    if not rid or depth > 3:
        return None
    r = snap.row(t, rid) if t in TYPES else None
    if r is None:
        return None
    if t == "contact" and r.s("org"):
        s = card_scope(snap, "org", r.s("org"), depth + 1)
        if s:
            return s
    if t not in ("org", "contact"):
        fl = {c for c in snap.cols.get(t, [])}
        s = card_scope(snap, "org", r.s("org"), depth + 1) if "org" in fl else None
        if not s and "contact" in fl:
            s = card_scope(snap, "contact", r.s("contact"), depth + 1)
        if s:
            return s
    return (r.s("owner"), r.s("grp"))

def scope(snap, r):
    """(owner, grp, assignee) of row r (a Row, possibly of the snapshot after the push)."""
    t = r.t
    asg = r.s("assignee") if flags(t) & ASSIGNED else ""
    sc = None
    if flags(t) & SYSTEM:
        if r.s("rtype") and r.s("rid"):
            sc = card_scope(snap, r.s("rtype"), r.s("rid"))
    elif not flags(t) & CONFIG and t != "org":
        cols = snap.colidx[t]
        if "org" in cols:
            sc = card_scope(snap, "org", r.s("org"))
        if not sc and "contact" in cols:
            sc = card_scope(snap, "contact", r.s("contact"))
    if not sc:
        sc = (r.s("owner"), r.s("grp"))
    return (sc[0], sc[1], asg)

def protected(snap, t, field):
    for name, ft, fl in TYPES[t][1]:
        if name == field:
            return bool(fl & C)
    return field.startswith("c_") and custom_ftype(snap, t, field[2:]) == "phone"

def custom_ftype(snap, t, name):
    for r in snap.tables.get("field_def", {}).values():
        row = Row(snap, "field_def", r)
        if row.s("etype") == t and row.s("name") == name:
            return row.s("ftype")
    return None

def derived(snap, t, col):
    """A card's tags column: rebuilt by the server from the card's taggings (no version)."""
    for name, ft, fl in TYPES[t][1]:
        if name == col:
            return ft == "tags"
    return col.startswith("c_") and custom_ftype(snap, t, col[2:]) == "tags"

def fmt_sc(sc):
    return "%s/%s%s" % (sc[0] or "-", sc[1] or "-", "/asg=" + sc[2] if sc[2] else "")

def judge_record(before, after, t, rid, who):
    """What changed in record (t, rid) from before to after (Snap each) and what is wrong
    with it: (what, [problem], [tag])."""
    B, A = before.row(t, rid), after.row(t, rid)
    if A is None:
        return "removed", (["a row disappeared"] if B is not None else []), ["removed"]
    cols = [c for c in after.cols[t] if c not in ("id", "ver") and not derived(after, t, c)]
    av = A.vers()
    bv = B.vers() if B else {}
    changed = [c for c in cols if (B.get(c) if B else None) != A.get(c) or bv.get(c) != av.get(c)]
    changed += [k for k in av if k not in cols and bv.get(k) != av.get(k)]
    valchg = {c for c in cols if B is not None and B.get(c) != A.get(c)}
    if not changed:
        return "", [], []
    what = ("new: " if B is None else "") + ", ".join(describe(c, B, A, bv, av) for c in changed[:5]) + \
        (" …" if len(changed) > 5 else "")
    tags = []
    if B is not None and not valchg:
        tags.append("stamp-only")
    if any(B is not None and bv.get(c, (0,))[0] == av.get(c, (0,))[0] for c in changed):
        tags.append("equal-stamp")
    probs = []
    def need(cond, msg):
        if not cond:
            probs.append(msg)
    if flags(t) & SYSTEM:
        return what, ["%s records are written by the server only" % t], tags + ["server-type"]
    sa = scope(after, A)
    user = who.user
    if B is None:
        if not who.allows(t, EDIT, sa, assignee_ok=False):
            probs.append("created at scope %s without EDIT there" % fmt_sc(sa))
            if who.allows(t, EDIT, sa):
                probs[-1] += " (being its assignee does not let one create it)"
                tags.append("assignee-create")
        if flags(t) & CLIENT and A.s("owner") != user:
            need("reassign" in who.flags, "created a client card for %s without +reassign" %
                 (A.s("owner") or "nobody"))
        prot = [c for c in changed if protected(after, t, c)]
        if prot and "see_contacts" not in who.flags:
            need(sa[0] == user, "wrote protected %s of %s's card without +see_contacts" %
                 (prot[0], sa[0] or "nobody"))
        return what, probs, tags
    sb = scope(before, B)
    need(who.allows(t, READ, sb), "changed a record it may not read (scope %s)" % fmt_sc(sb))
    other = [c for c in changed if c != "deleted" or c not in valchg]
    if other and not probs:
        moved = sorted(valchg & LINKS)
        asg_ok = not (flags(t) & ASSIGNED and moved)
        for sc, verb in ((sb, "edited it at scope %s"), (sa, "moved it to scope %s")):
            if sc is sa and sa == sb and probs:
                break
            if not who.allows(t, EDIT, sc, asg_ok):
                if not asg_ok and who.allows(t, EDIT, sc):
                    probs.append((verb + " as its assignee, who may not change %s") % (fmt_sc(sc), ",".join(moved)))
                    tags.append("assignee")
                else:
                    probs.append((verb + " without EDIT there") % fmt_sc(sc))
    if "deleted" in valchg:
        need(who.allows(t, DELETE, sb), "%s it at scope %s without DELETE there" %
             ("deleted" if A.get("deleted") else "restored", fmt_sc(sb)))
    for c in ("owner", "grp"):
        if c in valchg:
            need("reassign" in who.flags, "changed %s without +reassign" % c)
    prot = [c for c in changed if protected(after, t, c)]
    if prot and "see_contacts" not in who.flags:
        need(sb[0] == user, "wrote protected %s of %s's card without +see_contacts" %
             (prot[0], sb[0] or "nobody"))
    return what, probs, tags

def short(v, n=24):
    s = repr(v)
    return s if len(s) <= n else s[:n - 1] + "…'"

def describe(c, B, A, bv, av):
    b = B.get(c) if B else None
    a = A.get(c)
    sb, sa = bv.get(c, (0, "")), av.get(c, (0, ""))
    tie = " (equal stamp, device %s won the tie)" % sa[1][:18] if B is not None and sb[0] == sa[0] else ""
    if b != a or B is None:
        return "%s %s->%s%s" % (c, short(b), short(a), tie)
    if tie:
        return "%s %s same value%s" % (c, short(a), tie)
    return "%s %s same value, stamp %d->%d" % (c, short(a), sb[0], sa[0])

def judge_push(before, after, who, change, status, replay):
    """Every problem of one push: [(type, id, what, [problem], [tag])]."""
    out = []
    for t in sorted(set(after.changed) | set(after.removed)):
        bt = before.tables.get(t, {})
        for rid in sorted(after.removed.get(t, ())):
            out.append((t, rid, "removed", ["the row was removed"], ["removed"]))
        for rid in sorted(after.changed.get(t, ())):
            if t == "conflict" and rid not in bt:
                A = after.row(t, rid)
                rt, ri = A.s("rtype"), A.s("rid")
                what = "new conflict: %s %s field %s lost value %s" % (rt, ri, A.s("field"), short(A.s("value")))
                if (rt, ri) != (change.type, change.id):
                    out.append((t, rid, what, ["about a record that was not pushed"], ["conflict"]))
                    continue
                R = before.row(rt, ri) if rt in TYPES else None
                sc = scope(before, R) if R else None
                if R is None or not who.allows(rt, EDIT, sc):
                    out.append((t, rid, what, ["about a record %s may not edit (scope %s)" %
                                               (who.user, fmt_sc(sc) if sc else "?")], ["conflict"]))
                continue
            if t in ("conflict", "staff"):
                out.append((t, rid, "changed", ["a server-written %s row changed" % t], ["server-type"]))
                continue
            what, probs, tags = judge_record(before, after, t, rid, who)
            if not what:
                continue
            if (t, rid) != (change.type, change.id):
                probs, tags = ["a record that was not pushed changed"], ["other-record"]
            elif replay:
                probs, tags = ["a change number already used changed the record"], ["replay"]
            elif status == "REJECTED":
                probs, tags = probs + ["the change was REJECTED but the record changed"], tags + ["status"]
            elif status != "APPLIED":
                probs, tags = probs + ["the record changed but the change was %s" % status], tags + ["status"]
            if probs:
                names = [f.name for f in change.fields]
                twice = sorted({n for n in names if names.count(n) > 1})
                if twice:
                    tags.append("repeated-field")
                    what += " [named twice in the change: %s]" % ",".join(twice)
                out.append((t, rid, what, probs, tags))
    return out

# ---- the wire ---------------------------------------------------------------------------------
class Conn:
    def __init__(self, pb, host, port, ca, profile, user, password):
        self.pb = pb
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        ctx.load_cert_chain(os.path.join(profile, "device.crt"), os.path.join(profile, "device.key"))
        self.s = ctx.wrap_socket(socket.create_connection((host, port), timeout=30))
        self.req = 0
        r = self.call(pb.Envelope(hello=pb.Hello(protocol_version=1, client_name="hostile")))
        if r.WhichOneof("body") != "hello_ok":
            raise RuntimeError("hello: %s" % r)
        r = self.call(pb.Envelope(login=pb.Login(user=user, password=password)))
        if r.WhichOneof("body") != "auth_ok":
            raise RuntimeError("login %s: %s" % (user, r))
        self.auth = r.auth_ok

    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.s.recv(n - len(buf))
            if not c:
                raise ConnectionError("the server closed the connection")
            buf += c
        return buf

    def call(self, env):
        self.req += 1
        env.req_id = self.req
        body = env.SerializeToString()
        self.s.sendall(struct.pack(">I", len(body)) + body)
        while True:
            n = struct.unpack(">I", self.read_exact(4))[0]
            r = self.pb.Envelope()
            r.ParseFromString(self.read_exact(n))
            if r.req_id == self.req:
                return r

# ---- random changes ---------------------------------------------------------------------------
WORDS = ["Hijacked", "Злой", "Łódź", "x", "", " ", "Ромашка", "evil\u200b", "A" * 40]
CHOICES = {"size": "micro small medium large", "channel": "phone email messenger visit",
           "stage": "0.5 0.6 0.7 0.8 0.9 1.0", "color": "white grey gold platinum",
           "temperature": "cold warm hot", "gender": "male female", "priority": "low normal high",
           "status": "open in_progress done cancelled planned", "type": "call meeting letter visit other",
           "result": "reached no_answer agreed refused", "state": "quote invoice paid fired dismissed snoozed",
           "ftype": "text longtext number int money date choice phone email url bool blob"}

def uuid7(rng, ms=None):
    ms = int(time.time() * 1000) if ms is None else ms
    b = bytearray(ms.to_bytes(6, "big") + bytes(rng.getrandbits(8) for _ in range(10)))
    b[6] = 0x70 | (b[6] & 15); b[8] = 0x80 | (b[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(b)))

class Dev:
    def __init__(self, name, user, profile, uuid_):
        self.name, self.user, self.profile, self.uuid = name, user, profile, uuid_
        self.counter = 0
        self.used = []  # earlier Changes (for replays)

class Gen:
    def __init__(self, rng, users):
        self.rng = rng
        self.users = users
        self.last_fresh = 0

    def fresh(self):
        st = (int(time.time() * 1000) << 16) | self.rng.randrange(1 << 12)
        st = max(st, self.last_fresh + 1)
        self.last_fresh = st
        return st

    @staticmethod
    def col(t, name):
        """The column (and version name) of the field a Change names: custom fields are
        named without the c_ of their column."""
        return name if any(n == name for n, _, _ in TYPES.get(t, (0, []))[1]) else "c_" + name

    def ftype(self, snap, t, name):
        for n, ft, _ in TYPES.get(t, (0, []))[1]:
            if n == name:
                return ft
        return custom_ftype(snap, t, name) or "text"

    def fields_of(self, snap, t):
        if t not in TYPES:
            return ["name", "owner", "title", "deleted"]
        names = [f[0] for f in TYPES[t][1] if f[0] not in ("id", "updated")]
        return names + [c[2:] for c in snap.cols.get(t, []) if c.startswith("c_")]

    def ids(self, snap, types):
        out = []
        for t in types:
            out.extend(snap.tables.get(t, {}).keys())
        return out

    def value(self, snap, t, name, cur_row, who_user):
        rng = self.rng
        ft = self.ftype(snap, t, name)
        r = rng.random()
        if r < 0.04:
            return ("null", None)
        if r < 0.18 and cur_row is not None:  # the value it has: a stamp-only change
            v = cur_row.get(self.col(t, name))
            if v is not None:
                return ("num", v) if isinstance(v, int) else ("text", v)
        if ft == "user":
            return ("text", rng.choice(self.users * 3 + [who_user] * 3 + ["", "mallory"]))
        if ft == "group":
            return ("text", rng.choice(["north", "north-spb", "south", "", "sales", "north"]))
        if ft == "ref" or name in ("rid", "parent"):
            pool = self.ids(snap, ["org", "contact"] if ft == "ref" else CARD_TYPES)
            x = rng.random()
            if x < 0.08 or not pool:
                return ("text", rng.choice(["", uuid7(rng)]))
            if x < 0.15:
                return ("text", rng.choice(self.ids(snap, CARD_TYPES) or [""]))
            return ("text", rng.choice(pool))
        if ft == "bool":
            return ("num", rng.choice([0, 1, 1, 0, 2]) if rng.random() < 0.05 else rng.choice([0, 1]))
        if ft in INT_TYPES:
            if ft == "datetime":
                return ("num", int(time.time() * 1000) + rng.randrange(-10 ** 9, 10 ** 9))
            return ("num", rng.choice([0, 1, 7, 100, 150000, -5, 2 ** 40]))
        if ft == "number":
            return ("text", rng.choice(["1.5", "3", "0.25", "abc"]))
        if ft == "date":
            return ("text", rng.choice(["2026-11-22", "1990-01-31", "2026-02-30", "tomorrow"]))
        if ft == "phone":
            return ("text", "+7 495 %03d-%02d-%02d" % (rng.randrange(1000), rng.randrange(100), rng.randrange(100)))
        if ft == "email":
            return ("text", "mallory%d@evil.example" % rng.randrange(1000))
        if ft == "url":
            return ("text", "https://evil.example/%d" % rng.randrange(1000))
        if ft == "rrule":
            return ("text", rng.choice(["FREQ=WEEKLY;BYDAY=MO", "FREQ=DAILY", "bogus"]))
        if ft == "choice" or name in CHOICES:
            return ("text", rng.choice(CHOICES.get(name, "a b c").split()))
        if name == "etype":
            return ("text", rng.choice(CARD_TYPES + ["group", "nosuch"]))
        if name == "rtype":
            return ("text", rng.choice(CARD_TYPES + ["conflict"]))
        if name == "name" and t == "field_def":
            return ("text", rng.choice(["inn", "skype", "evil%d" % rng.randrange(100), "city", "Bad Name"]))
        return ("text", rng.choice(WORDS) + str(rng.randrange(1000)))

    def stamp(self, stored, others):
        """A stamp for a field whose stored stamp is `stored` (0: never written); others: the
        record's other stamps."""
        rng = self.rng
        kinds = [("equal", 30 if stored else 0), ("below", 15 if stored else 0),
                 ("above", 12 if stored else 0), ("equal-other", 10 if others else 0),
                 ("fresh", 32), ("zero", 1), ("future", 1)]
        kind = rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        if kind == "equal":
            return stored
        if kind == "below":
            return max(1, stored - rng.randrange(1, 1 << 24))
        if kind == "above":
            return stored + rng.randrange(1, 1 << 10)
        if kind == "equal-other":
            return rng.choice(others)
        if kind == "zero":
            return 0
        if kind == "future":
            return (int(time.time() * 1000) + 600000) << 16
        return self.fresh()

    def change(self, pb, snap, who_user):
        """A random Change (Change message, description)."""
        rng = self.rng
        t = rng.choices(list(TYPES) + ["invoice", "ORG", "t_org"],
                        weights=[14, 12, 12, 8, 6, 4, 6, 4, 4, 4, 5, 4, 3, 2, 2, 3, 1, 1, 1])[0]
        x = rng.random()
        pool = self.ids(snap, [t]) if t in TYPES else []
        if x < 0.62 and pool:
            rid = rng.choice(pool)
        elif x < 0.72:
            rid = rng.choice(self.ids(snap, list(TYPES)) or [uuid7(rng)])
        elif x < 0.97:
            rid = uuid7(rng)
        else:
            rid = rng.choice(["not-a-uuid", uuid7(rng).upper(), "00000000-0000-0000-0000-000000000000"])
        cur = snap.row(t, rid) if t in TYPES else None
        names = self.fields_of(snap, t)
        hot = [n for n in names if n in LINKS or n == "deleted" or (t in TYPES and protected(snap, t, self.col(t, n)))]
        nf = rng.choices([1, 2, 3, 4], weights=[40, 30, 20, 10])[0]
        chosen = []
        for _ in range(nf):
            r = rng.random()
            if r < 0.03:
                chosen.append(rng.choice(["id", "updated", "salary", "ORG", "c_nope"]))
            elif r < 0.5 and hot:
                chosen.append(rng.choice(hot))
            else:
                chosen.append(rng.choice(names))
        if rng.random() < 0.4:  # the same field named twice (or thrice)
            for _ in range(rng.choice([1, 1, 2])):
                chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(chosen))
        vers = cur.vers() if cur is not None else {}
        others = [v[0] for v in vers.values()]
        ch = pb.Change(type=t, id=rid)
        for name in chosen:
            kind, v = self.value(snap, t, name, cur, who_user)
            fv = ch.fields.add(name=name)
            if kind == "null":
                fv.is_null = True
            elif kind == "num":
                fv.num = v
            else:
                fv.text = v
            stored = vers.get(self.col(t, name), (0, ""))[0]
            fv.stamp = self.stamp(stored, others)
            b = rng.random()
            fv.base_stamp = 0 if b < 0.5 else stored if b < 0.8 else rng.getrandbits(60)
            if rng.random() < 0.1:
                fv.device = rng.choice(list(snap.devices.values()) or [""])
        return ch

    def double(self, pb, snap, who):
        """A change naming one link field twice: a harmless value last (what a check that
        reads one occurrence sees) and a hostile one with the higher stamp (what the merge
        keeps), or the other way round."""
        rng = self.rng
        t = rng.choice(["task", "event", "note", "deal", "contact", "link", "org"])
        recs = [Row(snap, t, tup) for tup in snap.tables.get(t, {}).values()]
        mine = [r for r in recs if who.allows(t, EDIT, scope(snap, r))]
        if not mine:
            return None
        r = rng.choice(mine)
        field = rng.choice([f for f in ("org", "contact", "owner", "grp", "assignee") if f in snap.colidx[t]])
        if field in ("org", "contact"):
            pool = self.ids(snap, [field])
            evil = rng.choice(pool) if pool else uuid7(rng)
        elif field == "grp":
            evil = rng.choice(["north", "north-spb", "south"])
        else:
            evil = rng.choice([u for u in self.users if u != who.user])
        cur = r.s(field)
        if field in ("org", "contact"):
            ok = [i for i, tup in snap.tables.get(field, {}).items()
                  if who.allows(field, EDIT, scope(snap, Row(snap, field, tup)))]
        elif field == "grp":
            ok = sorted(who.groups) + [""]
        else:
            ok = [who.user, ""]
        ok = [v for v in ok if v != cur and v != evil]
        if not ok:
            return None
        harmless = rng.choice(ok)  # a value the pusher could set, not the stored one
        hi = self.fresh() + 1 + rng.randrange(1000)
        lo = self.fresh()
        occ = [(evil, hi), (harmless, lo)]
        if rng.random() < 0.3:
            occ.reverse()
        ch = pb.Change(type=t, id=r.id)
        for v, st in occ:
            fv = ch.fields.add(name=field, stamp=st)
            if v:
                fv.text = v
            else:
                fv.is_null = True
        return ch

    def legit(self, pb, snap, who):
        """A change the pusher may certainly make (the positive control), or None."""
        rng = self.rng
        if who.lvl["org"][EDIT] >= 1 and rng.random() < 0.15:
            ch = pb.Change(type="org", id=uuid7(rng))
            for n, v in (("name", "Legit %d" % rng.randrange(10 ** 6)), ("owner", who.user)):
                ch.fields.add(name=n, text=v, stamp=self.fresh())
            return ch
        safe = {"org": ["comment", "city", "industry"], "contact": ["position", "city", "comment"],
                "task": ["description"], "event": ["comment"], "note": ["title"],
                "deal": ["comment"], "link": ["title"]}
        cands = []
        for t in safe:
            for rid, tup in snap.tables.get(t, {}).items():
                r = Row(snap, t, tup)
                if r.get("deleted"):
                    continue
                sc = scope(snap, r)
                if who.allows(t, READ, sc) and who.allows(t, EDIT, sc):  # an assignee too
                    cands.append((t, rid))
        if not cands:
            return None
        t, rid = rng.choice(cands)
        cur = snap.row(t, rid)
        name = rng.choice(safe[t])
        base = cur.vers().get(name, (0, ""))[0]
        ch = pb.Change(type=t, id=rid)
        ch.fields.add(name=name, text="legit %s %d" % (who.user, rng.randrange(10 ** 6)),
                      stamp=self.fresh(), base_stamp=base)
        return ch

def check_mirror(path, snap, k):
    """The incrementally kept state must be what a fresh read of the master says (a check
    of this program's own bookkeeping; the server writes nothing between pushes)."""
    db2 = sqlite3.connect("file:%s?mode=ro" % path, uri=True, isolation_level=None, timeout=10)
    full = Snap(db2)
    db2.close()
    if full.tables != snap.tables:
        bad = [t for t in full.tables if full.tables[t] != snap.tables.get(t)]
        raise RuntimeError("after push #%d the kept copy of %s differs from the master" % (k, bad))

def registry_problems(snap):
    """The oracle's registry copy must match the master's record tables (a new type or a new
    built-in field needs its rules and its version index here)."""
    out = []
    for t in sorted(set(snap.cols) | set(TYPES)):
        if t not in TYPES:
            out.append("unknown table t_%s" % t)
            continue
        if t not in snap.cols:
            out.append("no table t_%s" % t)
            continue
        have = [c for c in snap.cols[t] if not c.startswith("c_") and c != "ver"]
        want = [f[0] for f in TYPES[t][1] if f[0] != "updated"]
        if have != want:
            out.append("t_%s has %s, expected %s" % (t, " ".join(have), " ".join(want)))
    return out

def one_line(pb_text_format, ch):
    return pb_text_format.MessageToString(ch, as_one_line=True, as_utf8=True)

# ---- main -------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--master", required=True)
    ap.add_argument("--pb", required=True)
    ap.add_argument("--device", action="append", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--pushes", type=int, default=4000)
    ap.add_argument("--max-seconds", type=float, default=0)
    a = ap.parse_args()
    sys.path.insert(0, a.pb)
    import kartoteka_pb2 as pb
    from google.protobuf import text_format
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 31)
    print("seed=%d (rerun: KT_SEED=%d tests/run.sh hostile)" % (seed, seed), flush=True)
    rng = random.Random(seed)
    keep_going = os.environ.get("KT_KEEP_GOING") == "1"
    password = open(a.password_file).read().strip("\n")
    host, port = a.addr.rsplit(":", 1)
    db = sqlite3.connect("file:%s?mode=ro" % a.master, uri=True, isolation_level=None, timeout=10)
    snap = Snap(db)
    problems = registry_problems(snap)
    if problems:
        print("FAIL: hostile.py's copy of the registry is out of date (update TYPES): " + "; ".join(problems))
        return 1
    devs, conns = [], {}
    for spec in a.device:
        name, user, profile = spec.split(":", 2)
        rep = sqlite3.connect("file:%s?mode=ro" % os.path.join(profile, "replica.db"), uri=True)
        dev_uuid = rep.execute("SELECT value FROM meta WHERE key='device_id'").fetchone()[0]
        rep.close()
        d = Dev(name, user, profile, dev_uuid)
        d.counter = snap.last_counter.get(dev_uuid, 0)
        conns[name] = Conn(pb, host, int(port), a.ca, profile, user, password)
        devs.append(d)
    users = sorted(snap.users)
    gen = Gen(rng, [u for u in users])
    stats = dict(pushes=0, applied=0, superseded=0, rejected=0, rej_nocode=0, legit=0,
                 legit_applied=0, replays=0, violations=0, oracle_ok_applied=0)
    legit_by, bytag, reasons = {}, {}, {}
    nocode_examples, legit_bad = [], []
    t0 = time.monotonic()
    stopped = None
    for k in range(1, a.pushes + 1):
        if a.max_seconds and time.monotonic() - t0 > a.max_seconds:
            stopped = "time limit (%.0f s) after %d pushes" % (a.max_seconds, k - 1)
            break
        if k % 1000 == 0:
            check_mirror(a.master, snap, k)
        if k % 5000 == 0:
            print("info: %d pushes, %.0f s, %d records on the master" %
                  (k, time.monotonic() - t0, sum(len(v) for v in snap.tables.values())), flush=True)
        control = k <= 2 * len(devs)  # first a round of edits each pusher may make
        d = devs[(k - 1) % len(devs)] if control else rng.choice(devs)
        conn = conns[d.name]
        who = Who(snap, d.user)
        replay = False
        legit = False
        r = rng.random()
        ch = None
        if control:
            ch = gen.legit(pb, snap, who)
            legit = ch is not None
        elif r < 0.03 and d.used:
            ch = pb.Change(); ch.CopyFrom(rng.choice(d.used))  # a change number already used
            if rng.random() < 0.5 and ch.fields:
                ch.fields[0].stamp = gen.fresh()
            replay = True
        elif r < 0.15:
            ch = gen.legit(pb, snap, who)
            legit = ch is not None
        elif r < 0.22:
            ch = gen.double(pb, snap, who)
        if ch is None:
            ch = gen.change(pb, snap, d.user)
        # a change number the server has already taken (applied or refused) is a no-op
        replay = replay and ch.counter <= snap.last_counter.get(d.uuid, 0)
        stats["replays"] += replay
        if not replay:
            d.counter += 1
            ch.counter = d.counter
            d.used.append(ch)
            if len(d.used) > 50:
                d.used.pop(0)
        try:
            resp = conn.call(pb.Envelope(push=pb.Push(changes=[ch])))
        except Exception as e:
            print("FAIL: seed=%d push #%d: %s %s: no answer (%s) by %s; change: %s" %
                  (seed, k, ch.type, ch.id, e, d.user, one_line(text_format, ch)))
            stats["violations"] += 1
            break
        stats["pushes"] += 1
        if resp.WhichOneof("body") != "push_ack" or len(resp.push_ack.results) != 1:
            # a valid frame: the server must answer with a result, not end the conversation
            stats["violations"] += 1
            bytag["error-answer"] = bytag.get("error-answer", 0) + 1
            print("FAIL: seed=%d push #%d: %s %s: answered with %s instead of a PushAck by %s (%s, device %s); "
                  "change: %s" % (seed, k, ch.type, ch.id, text_format.MessageToString(resp, as_one_line=True),
                                  d.user, who.role, d.name, one_line(text_format, ch)), flush=True)
            after = snap.next(db)
            for (t, rid, what, pl, tags) in judge_push(snap, after, who, ch, "ERROR", replay):
                stats["violations"] += 1
                print("FAIL: seed=%d push #%d: %s %s %s by %s: %s" % (seed, k, t, rid, what, d.user, "; ".join(pl)))
            snap = after
            if not keep_going:
                stopped = "the first violation (push #%d); KT_KEEP_GOING=1 goes on" % k
                break
            if ch in d.used:  # rolled back: its number is free again
                d.used.remove(ch)
            conns[d.name] = Conn(pb, host, int(port), a.ca, d.profile, d.user, password)
            continue
        res = resp.push_ack.results[0]
        status = pb.ChangeResult.Status.Name(res.status)
        if status == "REJECTED" and os.environ.get("KT_HOSTILE_STATS"):
            key = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+|'[^']*'", "#", res.reason)[:70]
            reasons[key] = reasons.get(key, 0) + 1
        stats[status.lower()] += 1
        if status == "REJECTED" and res.code == 0 and not replay:
            stats["rej_nocode"] += 1
            if len(nocode_examples) < 3:
                nocode_examples.append("push #%d %s %s: reason %r" % (k, ch.type, ch.id, res.reason))
        after = snap.next(db)
        probs = judge_push(snap, after, who, ch, status, replay)
        if legit:
            stats["legit"] += 1
            legit_by.setdefault(d.user, [0, 0])[0] += 1
            if status == "APPLIED":
                stats["legit_applied"] += 1
                legit_by[d.user][1] += 1
            elif len(legit_bad) < 3:
                legit_bad.append("push #%d by %s: %s %s (reason %r, code %d); change %s" %
                                 (k, d.user, status, ch.type, res.reason, res.code, one_line(text_format, ch)))
        if not probs and status == "APPLIED" and not replay:
            stats["oracle_ok_applied"] += 1
        for (t, rid, what, pl, tags) in probs:
            stats["violations"] += 1
            for tg in tags or ["rights"]:
                bytag[tg] = bytag.get(tg, 0) + 1
            if stats["violations"] <= int(os.environ.get("KT_MAX_FAILS", "40")):
                print("FAIL: seed=%d push #%d: %s %s %s by %s: %s (%s, device %s; %s%s) [%s]; change: %s" %
                      (seed, k, t, rid, what, d.user, "; ".join(pl), who.role, d.name, status,
                       (" code %d %r" % (res.code, res.reason)) if status == "REJECTED" else "",
                       ",".join(tags) or "rights", one_line(text_format, ch)), flush=True)
        snap = after
        if probs and not keep_going:
            stopped = "the first violation (push #%d); KT_KEEP_GOING=1 goes on" % k
            break
    el = time.monotonic() - t0
    check_mirror(a.master, snap, stats["pushes"])
    for key, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:25]:
        print("stats: %5d %s" % (n, key))
    print("info: %d pushes in %.1f s (%.1f ms each): %d applied, %d superseded, %d rejected, %d replays; "
          "%d applied changes the oracle accepted; legit %s%s" %
          (stats["pushes"], el, 1000 * el / max(1, stats["pushes"]), stats["applied"], stats["superseded"],
           stats["rejected"], stats["replays"], stats["oracle_ok_applied"],
           " ".join("%s=%d/%d" % (u, v[1], v[0]) for u, v in sorted(legit_by.items())),
           ("; stopped at " + stopped) if stopped else ""))
    if stats["violations"] == 0:
        print("PASS: %d random pushes by %s: every change of the master is one the pusher's role allows" %
              (stats["pushes"], ", ".join(sorted({d.user for d in devs}))))
    else:
        print("info: %d violation(s) [%s] (rerun: KT_SEED=%d tests/run.sh hostile)" %
              (stats["violations"], " ".join("%s=%d" % kv for kv in sorted(bytag.items())), seed))
    if stats["legit"] and stats["legit_applied"] == stats["legit"]:
        print("PASS: legitimate edits (own cards, group cards, one's assigned tasks) are applied: %d of %d" %
              (stats["legit_applied"], stats["legit"]))
    else:
        print("FAIL: legitimate edits are applied: %d of %d%s" % (stats["legit_applied"], stats["legit"],
              ("; e.g. " + " | ".join(legit_bad)) if legit_bad else ""))
    if stats["rej_nocode"] == 0:
        print("PASS: every rejected change carries a KT_E* code (%d rejected)" % stats["rejected"])
    else:
        print("FAIL: rejected changes carry a KT_E* code: %d of %d have code 0; e.g. %s" %
              (stats["rej_nocode"], stats["rejected"], " | ".join(nocode_examples)))
    return 0

if __name__ == "__main__":
    sys.exit(main())
