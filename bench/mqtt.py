#!/usr/bin/env python3
"""iotrun's MQTT benchmarks, through a mosquitto of their own on loopback.

    python3 bench/mqtt.py             # latency (200 commands) and a 5,000-device fleet
    python3 bench/mqtt.py --quick     # 50 commands, 500 devices

- latency: one device, `confirm: true`, served by `iotrun emulate` with 0 ms
  latency; N commands in sequence. Command-to-confirmed-state time per
  message (message_start -> message_end in iotrun's JSON events), p50 and
  p99, beside ../shared/bench/seed_style_mqtt.py (Python asyncio + aiomqtt,
  needs `pip install aiomqtt pyyaml`) on the same broker and the same
  emulated device, in the same run.
- the floor: `examples/broker_round_trip.rs`, two bare rumqttc clients
  making the same two hops (command, then a state report) through the same
  broker; what iotrun adds is its p50 less the floor's.
- fleet: D emulated devices; the time until every one is connected and
  subscribed (`emulate_start`), then one `iotrun run` of a `parallel` of 4
  confirmed commands per device: confirmed commands per second, and how
  many ended done, failed or timed out.

Needs mosquitto; builds iotrun (release). Prints Markdown.
"""
import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IOTRUN = ROOT / "target" / "release" / "iotrun"
PEER = ROOT.parent / "shared" / "bench" / "seed_style_mqtt.py"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def broker(tmp):
    port = free_port()
    conf = Path(tmp) / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
        "max_inflight_messages 0\nmax_queued_messages 1000000\nmax_connections -1\n"
    )
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, f"mqtt://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    sys.exit("mosquitto did not start")


def emulate(program, url):
    proc = subprocess.Popen([str(IOTRUN), "emulate", "--format", "json", "--broker", url, str(program)],
                            stdout=subprocess.PIPE, text=True)
    started = time.perf_counter()
    line = proc.stdout.readline()
    ready = time.perf_counter() - started
    assert json.loads(line)["event"] == "emulate_start", line
    # Drain its output so a full pipe never stalls it.
    import threading
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, ready


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_iotrun(program, url):
    out = subprocess.run([str(IOTRUN), "run", "--format", "json", "--broker", url, str(program)],
                         capture_output=True, text=True)
    events = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    return events


def latency(tmp, url, n):
    lines = ["mqtt: { broker: \"%s\" }" % url, "devices:",
             "  l: { kind: hue_light, latency: 0ms, mqtt: { topic: bench/l, confirm: true } }", "program:"]
    for i in range(n):
        lines.append("  - { device: l, message: %s, timeout: 5s }" % ("SWITCH_ON" if i % 2 == 0 else "SWITCH_OFF"))
    program = Path(tmp) / "latency.yaml"
    program.write_text("\n".join(lines) + "\n")
    emu, _ = emulate(program, url)
    try:
        events = run_iotrun(program, url)
        starts, ms = {}, []
        for e in events:
            if e["event"] == "message_start":
                starts[e["line"]] = e["t"]
            elif e["event"] == "message_end":
                ms.append((e["t"] - starts[e["line"]]) * 1000)
        peer = None
        if PEER.exists():
            env = dict(os.environ, IOTRUN_MQTT_BROKER=url)
            p = subprocess.run([sys.executable, str(PEER), str(program), "--quiet"], capture_output=True, text=True, env=env)
            last = (p.stdout.strip().splitlines() or [""])[-1]
            peer = last if "p50" in last else (p.stderr.strip().splitlines() or ["(peer failed)"])[-1]
        return ms, peer
    finally:
        emu.send_signal(2)
        emu.wait()


def floor(url, n):
    out = subprocess.run([str(ROOT / "target" / "release" / "examples" / "broker_round_trip"), url, str(n)],
                         capture_output=True, text=True, check=True)
    _, p50, _, p99 = out.stdout.split()
    return float(p50), float(p99)


def fleet(tmp, url, devices):
    lines = ["mqtt: { broker: \"%s\" }" % url, "devices:"]
    for d in range(devices):
        lines.append("  d%d: { kind: hue_light, latency: 0ms, mqtt: { topic: fleet/d%d, confirm: true } }" % (d, d))
    lines += ["program:", "  parallel:"]
    for d in range(devices):
        lines.append("    - [ { device: d%d, message: SWITCH_ON, timeout: 30s }, { device: d%d, message: SWITCH_OFF, timeout: 30s }," % (d, d)
                     + " { device: d%d, message: SWITCH_ON, timeout: 30s }, { device: d%d, message: SWITCH_OFF, timeout: 30s } ]" % (d, d))
    program = Path(tmp) / "fleet.yaml"
    program.write_text("\n".join(lines) + "\n")
    emu, ready = emulate(program, url)
    try:
        events = run_iotrun(program, url)
        first = min(e["t"] for e in events if e["event"] == "message_start")
        last = max(e["t"] for e in events if e["event"] in ("message_end", "message_failed"))
        done = sum(1 for e in events if e["event"] == "message_end")
        failed = sum(1 for e in events if e["event"] == "message_failed")
        return ready, done, failed, done / max(last - first, 1e-9)
    finally:
        emu.send_signal(2)
        emu.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, devices = (50, 500) if args.quick else (200, 5000)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "iotrun", "--example", "broker_round_trip"],
                   cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = broker(tmp)
        try:
            ms, peer = latency(tmp, url, n)
            floor50, floor99 = floor(url, n)
            ready, done, failed, rate = fleet(tmp, url, devices)
        finally:
            proc.terminate()
            proc.wait()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; mosquitto on loopback\n")
    print("| workload | iotrun | Python peer (asyncio + aiomqtt) |")
    print("|---|---|---|")
    print(f"| command to confirmed state, one device, {n} in sequence | p50 {percentile(ms, 50):.3f} ms, p99 {percentile(ms, 99):.3f} ms | {peer or 'not run'} |")
    print(f"| the broker's own round trip (two bare rumqttc clients, same two hops) | p50 {floor50:.3f} ms, p99 {floor99:.3f} ms | |")
    print(f"| what iotrun adds: its p50 less the floor's (the emulated device included) | {percentile(ms, 50) - floor50:+.3f} ms ({percentile(ms, 50) / floor50:.2f}x the floor) | |")
    print(f"| {devices} emulated devices connected and subscribed | {ready:.2f} s | |")
    print(f"| {devices * 4} confirmed commands, one `iotrun run` | {rate:,.0f}/s; {done} done, {failed} failed | |")


if __name__ == "__main__":
    main()
