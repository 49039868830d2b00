#!/usr/bin/env python3
"""iotrun's benchmarks: every workload beside its anchor, in one run.

    python3 bench/run.py            # the full suite (a few minutes on 2 cores)
    python3 bench/run.py --quick    # inputs ten times smaller, to try it out

It builds iotrun (release) and the YAML parsers' own floor
(../shared/bench/yaml-floor), generates its inputs with
../shared/bench/gen.py into target/bench/, runs each workload and its anchor
(best of --repeat runs, wall time and peak memory from /usr/bin/time), and
prints a Markdown table with the ratio of each to its anchor. Ratios beside
an anchor measured in the same run are what to compare: this machine is
shared, and absolute times move from one run to the next.
"""
import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
OUT = ROOT / "target" / "bench"
IOTRUN = ROOT / "target" / "release" / "iotrun"
FLOOR_TARGET = ROOT / "target" / "floor"
FLOOR = FLOOR_TARGET / "release" / "yaml-floor"


def sh(args, **kw):
    return subprocess.run(args, check=True, **kw)


def build():
    sh(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    sh([
        "cargo", "build", "--release", "--quiet",
        "--manifest-path", str(SHARED / "yaml-floor" / "Cargo.toml"),
        "--target-dir", str(FLOOR_TARGET),
    ])


def generate(name, *args):
    path = OUT / f"{name}.yaml"
    if not path.exists():
        with open(path, "w") as f:
            sh([sys.executable, str(SHARED / "gen.py"), *map(str, args)], stdout=f)
    return path


def measure(args, repeat, stdout=subprocess.DEVNULL):
    """Best wall time (s) and the peak memory (MB) of that run."""
    best = None
    for _ in range(repeat):
        report = OUT / "time.txt"
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(report), *map(str, args)],
            stdout=stdout, stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(map(str, args))} exited {proc.returncode}")
        peak = int(report.read_text().split()[-1]) / 1024
        if best is None or wall < best[0]:
            best = (wall, peak)
    return best


def machine():
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {model or platform.processor()}, {memory:.0f} GiB, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="inputs ten times smaller")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    parser.add_argument("--skip-python", action="store_true", help="leave out seed_style.py (needs PyYAML)")
    opts = parser.parse_args()
    scale = 10 if opts.quick else 1
    OUT.mkdir(parents=True, exist_ok=True)
    build()
    r = opts.repeat
    rows = []

    def row(workload, value, anchor_name, anchor, goal, ratio=None):
        ratio = ratio if ratio is not None else value[0] / anchor[0]
        rows.append((workload, f"{value[0]:.2f} s, {value[1]:.0f} MB",
                     f"{anchor_name}: {anchor[0]:.2f} s, {anchor[1]:.0f} MB", f"{ratio:.2f}x", goal))

    wide = generate(f"wide-{1000000 // scale}", "wide", 1000000 // scale, 1000 // scale, "0ms")
    floor = measure([FLOOR, "saphyr", wide], r)
    check = measure([IOTRUN, "check", wide], r)
    row(f"`check` wide {1000000 // scale}", check, "saphyr floor", floor, "<= 1.5x, <= 350 MB")
    run = measure([IOTRUN, "run", "--virtual-time", "--format", "json", wide], r)
    row(f"`run --virtual-time` wide {1000000 // scale}", run, "its check", check, "<= 1.2x")

    wide100 = generate(f"wide-{100000 // scale}", "wide", 100000 // scale, 100, "0ms")
    run100 = measure([IOTRUN, "run", wide100], r)
    if not opts.skip_python:
        seed = measure([sys.executable, SHARED / "seed_style.py", wide100], 1)
        rows.append((f"`run` wide {100000 // scale}", f"{run100[0]:.2f} s, {run100[1]:.0f} MB",
                     f"seed_style.py: {seed[0]:.2f} s, {seed[1]:.0f} MB",
                     f"{seed[0] / run100[0]:.1f}x faster", ">= 25x faster"))

    fleet = generate(f"fleet-{100000 // scale}", "fleet", 100000 // scale, 1000 // scale, "10ms")
    critical = 0.01 * (100000 // scale) / (1000 // scale) + 0.02
    fleet_check = measure([IOTRUN, "check", fleet], r)
    fleet_run = measure([IOTRUN, "run", fleet], r)
    beyond = fleet_run[0] - fleet_check[0]
    rows.append((f"`run` fleet {100000 // scale}, real time", f"{fleet_run[0]:.2f} s ({beyond:.2f} s beyond check)",
                 f"critical path: {critical:.2f} s", f"{beyond / critical:.2f}x", "<= 1.05x"))

    big = generate(f"fleet-{1000000 // scale}", "fleet", 1000000 // scale, 10000 // scale, "10ms")
    critical = 0.01 * (1000000 // scale) / (10000 // scale) + 0.02
    big_check = measure([IOTRUN, "check", big], r)
    big_run = measure([IOTRUN, "run", big], r, stdout=subprocess.PIPE)
    beyond = big_run[0] - big_check[0]
    rows.append((f"`run` fleet {1000000 // scale} x {10000 // scale} devices, human to a pipe",
                 f"{big_run[0]:.2f} s ({beyond:.2f} s beyond check)", f"critical path: {critical:.2f} s",
                 f"{beyond / critical:.2f}x", "<= 1.5x"))

    trace = OUT / "trace.json"
    traced = measure([IOTRUN, "run", "--trace", trace, wide100], r)
    row(f"`run --trace` wide {100000 // scale}", traced, "the run without it", run100, "<= 1.2x time and memory")

    print(f"Machine: {machine()}; best of {r}; inputs in {OUT.relative_to(ROOT)}\n")
    print("| workload | iotrun | anchor | ratio | goal |")
    print("|---|---|---|---|---|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
