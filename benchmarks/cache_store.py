"""Should the results cache move from one JSON file to sqlite? Measures both stores on synthetic
entries the size of real ones (issue 16: 7.3 MB for 3,000 files, about 2.4 KB a file).

    python benchmarks/cache_store.py [--files 3000 10000 30000] [--runs 5]

Per store and project size: the warm run (every entry read, nothing changed), a run after one
file changed (all read, one written), and the store's size. JSON is what cache.py does (load the
whole file; rewrite it whole, atomically, when anything changed); sqlite is one row per file,
WAL mode, read by one SELECT, changed rows upserted in one transaction. Not a test: it asserts
nothing. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time


def entry(i: int) -> dict:
    diag = [12, 5, 12, 40, "KL402", "`keras.layers.core` does not exist any more: its layers are in keras.layers " * 2, "safe"]
    return {"h": f"{i:032x}", "r": "KL101,KL201,KL202,KL203,KL301,KL302,KL303,KL401,KL402,KL403@keras3",
            "d": [diag] * 10}


def json_run(path: str, n: int, changed: int) -> None:
    with open(path, "rb") as fh:
        entries = json.loads(fh.read())["files"]
    for i in range(n):
        assert entries[f"src/pkg/module_{i}.py"]["h"]
    if changed:
        entries["src/pkg/module_0.py"] = entry(10**9)
        data = json.dumps({"format": 1, "files": entries}, separators=(",", ":")).encode()
        tmp = path + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)


def sqlite_run(path: str, n: int, changed: int) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    rows = dict(db.execute("SELECT path, entry FROM files"))
    for i in range(n):
        assert json.loads(rows[f"src/pkg/module_{i}.py"])["h"]
    if changed:
        with db:
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?)", ("src/pkg/module_0.py", json.dumps(entry(10**9))))
    db.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, nargs="*", default=[3000, 10000, 30000])
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    print("| files | store | size MB | warm run s | one file changed s |\n|---:|---|---:|---:|---:|")
    for n in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            jpath, spath = os.path.join(tmp, "c.json"), os.path.join(tmp, "c.sqlite")
            entries = {f"src/pkg/module_{i}.py": entry(i) for i in range(n)}
            with open(jpath, "w") as fh:
                json.dump({"format": 1, "files": entries}, fh, separators=(",", ":"))
            db = sqlite3.connect(spath)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE files (path TEXT PRIMARY KEY, entry TEXT)")
            with db:
                db.executemany("INSERT INTO files VALUES (?, ?)", ((k, json.dumps(v)) for k, v in entries.items()))
            db.close()
            for name, fn, path in (("json", json_run, jpath), ("sqlite", sqlite_run, spath)):
                times = {}
                for changed in (0, 1):
                    ts = []
                    for _ in range(args.runs):
                        start = time.perf_counter()
                        fn(path, n, changed)
                        ts.append(time.perf_counter() - start)
                    times[changed] = statistics.median(ts)
                size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) / 1e6
                print(f"| {n:,} | {name} | {size:.1f} | {times[0]:.3f} | {times[1]:.3f} |")


if __name__ == "__main__":
    main()
