#!/usr/bin/env python3
"""How long a keystroke's diagnostics take in `iotrun lsp`, beside
`iotrun check` of the same file, in the same run.

    python3 bench/lsp.py            # every file of programs/, and wide 100000 (gen.py)

For each file: `iotrun check` wall time (best of 5), then in one `iotrun lsp`
session the time from a `didChange` holding the whole text (one character
changed, as a keystroke does) to its `publishDiagnostics` (best of 5). The
goal: the keystroke within check's time plus 20 ms. Prints Markdown.
"""
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IOTRUN = ROOT / "target" / "release" / "iotrun"
SHARED = ROOT.parent / "shared" / "bench"


class Client:
    def __init__(self):
        self.proc = subprocess.Popen([str(IOTRUN), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.id = 0
        self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        self.notify("initialized", {})

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline().strip()
            if not line:
                break
            if line.startswith(b"Content-Length: "):
                length = int(line.split(b": ")[1])
        return json.loads(self.proc.stdout.read(length))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == self.id:
                return message.get("result")

    def diagnostics(self, uri):
        while True:
            message = self.read()
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri:
                return message["params"]["diagnostics"]

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait()


def check_time(path, repeat=5):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(IOTRUN), "check", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def keystroke_time(client, path, n, repeat=5):
    text = path.read_text()
    uri = f"file:///bench/{n}.yaml"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    client.diagnostics(uri)
    best = None
    for version in range(2, 2 + repeat):
        # A keystroke: one more space at the end of the file.
        text += " " if version % 2 else "\n"
        start = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
        client.diagnostics(uri)
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "iotrun"], cwd=ROOT, check=True)
    files = sorted((ROOT / "programs").glob("*.yaml")) + sorted((ROOT / "programs" / "mqtt").glob("*.yaml"))
    big = ROOT / "target" / "bench" / "wide-100000.yaml"
    if not big.exists():
        big.parent.mkdir(parents=True, exist_ok=True)
        with open(big, "w") as f:
            subprocess.run([sys.executable, str(SHARED / "gen.py"), "wide", "100000", "100", "0ms"], stdout=f, check=True)
    client = Client()
    rows = []
    small = []
    for n, path in enumerate(files):
        check = check_time(path)
        key = keystroke_time(client, path, n)
        small.append((check, key))
    check = check_time(big)
    key = keystroke_time(client, big, len(files))
    client.close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores\n")
    print("| file | `iotrun check` | keystroke to diagnostics in `iotrun lsp` | goal: at most check + 20 ms |")
    print("|---|---|---|---|")
    worst = max(small, key=lambda ck: ck[1] - ck[0])
    print(f"| programs/ ({len(files)} files), the worst | {worst[0] * 1000:.1f} ms | {worst[1] * 1000:.1f} ms | {'met' if worst[1] <= worst[0] + 0.020 else 'missed'} |")
    print(f"| wide 100000 (4 MB) | {check * 1000:.0f} ms | {key * 1000:.0f} ms | {'met' if key <= check + 0.020 else 'missed'} |")


if __name__ == "__main__":
    main()
