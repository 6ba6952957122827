#!/usr/bin/python3
"""bench/report.py — turns bench/run's results.tsv into the printed table and latest.json.

usage: report.py RESULTS_TSV JSON_OUT SECONDS ROWS EVENTS_ROWS PROTOCOL SHARDS TOTAL_SECONDS CPUS

RESULTS_TSV lines: workload <TAB> side <TAB> status <TAB> tps <TAB> latency_ms <TAB> clients <TAB> error
For the "copy" workload, tps is rows per second and latency_ms is the total COPY time.
Standard library only.
"""
import datetime
import json
import os
import platform
import sys

# name, label, Citus 13.2.2 reference ratio (from the issue), our target ratio
WORKLOADS = [
    ("point_select", "point select", 0.16, 0.35),
    ("point_update", "point update", 0.27, 0.45),
    ("insert", "single-row insert", 0.28, 0.45),
    ("full_aggregate", "full aggregate (count+sum)", 0.55, 0.90),
    ("group_by_topk", "group-by top-10", 0.50, 0.90),
    ("copy", "COPY accounts (rows/s)", 0.57, 0.85),
    ("two_shard_txn", "two-shard transaction", 0.15, 0.30),
]


def to_float(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def median_run(runs):
    """The run with the median tps of one workload and side (BENCH_ROUNDS > 1); a failed run wins."""
    failed = [run for run in runs if run["status"] != "ok"]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda run: run["tps"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(runs) > 1:
        chosen["rounds_tps"] = [run["tps"] for run in runs]
    return chosen


def main():
    (results_path, json_path, seconds, rows, events_rows, protocol, shards, total, cpus) = sys.argv[1:10]
    measured = {}
    with open(results_path, encoding="utf-8") as results:
        for line in results:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 7:
                fields += [""] * (7 - len(fields))
            name, side, status, tps, latency, clients, error = fields[:7]
            run = {
                "status": status,
                "tps": to_float(tps),
                "latency_ms": to_float(latency),
                "clients": int(clients) if clients.isdigit() else None,
                "error": error or None,
            }
            measured.setdefault((name, side), []).append(run)
    measured = {key: median_run(runs) for key, runs in measured.items()}

    missing = {"status": "not run", "tps": None, "latency_ms": None, "clients": None, "error": "not run"}
    entries = []
    for name, label, citus, target in WORKLOADS:
        plain = measured.get((name, "plain"), dict(missing))
        shale = measured.get((name, "shale"), dict(missing))
        ratio = None
        if plain["status"] == "ok" and shale["status"] == "ok" and plain["tps"] and shale["tps"] is not None:
            ratio = shale["tps"] / plain["tps"]
        entry = {
            "name": name,
            "label": label,
            "clients": plain["clients"] or shale["clients"],
            "unit": "rows/s and total ms" if name == "copy" else "tps and average latency ms",
            "plain": plain,
            "shale": shale,
            "ratio": round(ratio, 3) if ratio is not None else None,
            "citus_13_2_2_ratio": citus,
            "target_ratio": target,
            "meets_target": (ratio >= target) if ratio is not None else None,
        }
        entries.append(entry)

    def number(value, digits=1):
        return "-" if value is None else f"{value:,.{digits}f}"

    def side_tps(side):
        if side["status"] == "ok":
            return number(side["tps"])
        return "n/a (refused)" if side["status"] == "refused" else side["status"]

    header = ["workload", "clients", "plain tps", "shale tps", "ratio", "plain lat ms", "shale lat ms",
              "citus", "target", "met"]
    table = []
    for e in entries:
        table.append([
            e["label"],
            str(e["clients"] or "-"),
            side_tps(e["plain"]),
            side_tps(e["shale"]),
            "-" if e["ratio"] is None else f"{e['ratio']:.2f}",
            number(e["plain"]["latency_ms"], 3 if e["name"] != "copy" else 1),
            number(e["shale"]["latency_ms"], 3 if e["name"] != "copy" else 1),
            f"{e['citus_13_2_2_ratio']:.2f}",
            f">= {e['target_ratio']:.2f}",
            "-" if e["meets_target"] is None else ("yes" if e["meets_target"] else "no"),
        ])
    widths = [max(len(header[i]), *(len(row[i]) for row in table)) for i in range(len(header))]
    right = {1, 2, 3, 4, 5, 6, 7}

    def fmt(row):
        return " | ".join(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row))

    print()
    print(f"Shale vs plain PostgreSQL 15 — {rows} accounts rows, {events_rows} events rows, {shards} shards, "
          f"2 worker groups, no replicas; {seconds} s per workload, pgbench -M {protocol}; {cpus} CPUs shared")
    print()
    print(fmt(header))
    print("-+-".join("-" * w for w in widths))
    for row in table:
        print(fmt(row))
    print()
    print("ratio = shale tps / plain tps (for COPY: shale rows/s / plain rows/s, i.e. plain time / shale time).")
    print("citus = Citus 13.2.2 reference ratio from the issue; target = the ratio Shale aims for.")
    print("COPY latency columns are the total time to COPY the accounts file, in ms.")
    failures = [(e["label"], side, e[side]["error"]) for e in entries for side in ("plain", "shale")
                if e[side]["status"] != "ok" and e[side]["error"]]
    if failures:
        print()
        print("Failed or refused runs (first error line):")
        for label, side, error in failures:
            print(f"  {label} [{side}]: {error}")

    document = {
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"hostname": platform.node(), "cpus": int(cpus)},
        "settings": {
            "seconds_per_workload": int(seconds),
            "accounts_rows": int(rows),
            "events_rows": int(events_rows),
            "protocol": protocol,
            "shards": int(shards),
            "worker_groups": 2,
            "replicas": 0,
        },
        "total_run_seconds": int(total),
        "workloads": entries,
    }
    os.makedirs(os.path.dirname(json_path), exist_ok=True)
    tmp = json_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    os.replace(tmp, json_path)


if __name__ == "__main__":
    main()
