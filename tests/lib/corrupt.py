#!/usr/bin/python3
# corrupt.py DB TABLE N [KEEP_TEXT ...]: damages an SQLite file the way a
# failing disk does — overwrites N leaf pages of TABLE's b-tree with random
# bytes, taken from the middle of its pages (not its first and last leaf),
# skipping pages whose bytes contain any KEEP_TEXT (the ids of rows a test
# wants to stay readable). Prints the page numbers. Run on a file no program
# has open (its WAL checkpointed away).
import random, sqlite3, sys

db, table, n, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), [k.encode() for k in sys.argv[4:]]
con = sqlite3.connect(db)
size = con.execute("PRAGMA page_size").fetchone()[0]
pages = [p for (p,) in con.execute(
    "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
con.close()
if len(pages) < n + 2:
    sys.exit(f"{table} has only {len(pages)} leaf pages")
rnd = random.Random(13)
chosen = []
with open(db, "r+b") as f:
    middle = pages[1:-1]
    start = max(0, len(middle) // 2 - n)
    for p in middle[start:] + middle[:start]:
        if len(chosen) == n:
            break
        f.seek((p - 1) * size)
        if any(k in f.read(size) for k in keep):
            continue
        f.seek((p - 1) * size)
        f.write(bytes(rnd.getrandbits(8) for _ in range(size)))
        chosen.append(p)
if len(chosen) < n:
    sys.exit(f"only {len(chosen)} pages could be damaged")
print(" ".join(map(str, chosen)))
