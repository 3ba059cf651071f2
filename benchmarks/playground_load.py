"""Playground load test: N concurrent sessions training at once on loopback.

Starts ``reglab.playground.serve`` in a child process on 127.0.0.1 (a free port), opens
``--sessions`` WebSocket clients that each pick the spiral with a 2x8 network, press play and
acknowledge every frame as soon as it arrives (a page acks after drawing), for ``--seconds``.
Reports frames per second per session and every error, with one server process and with two;
then a single session alone, as a bare client and as the real page in headless Chromium (the
frame-rate target). Bounded in time, talks only to 127.0.0.1, stops the servers it started.

    .venv/bin/python benchmarks/playground_load.py        # 20 x 30 s (1 and 2 workers), 1 x 10 s
    .venv/bin/python benchmarks/playground_load.py --sessions 5 --seconds 5 --single-seconds 3

Writes ``benchmarks/results/playground_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import websockets

SPIRAL_2x8 = {"dataset": "spiral", "layers": [8, 8], "activations": ["tanh", "tanh"],
              "features": ["x1", "x2"], "learning_rate": 0.03, "optimizer": "adam"}
RESULTS = Path(__file__).parent / "results" / "playground_load.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(port: int, max_sessions: int, workers: int) -> subprocess.Popen:
    code = ("from reglab.playground import serve; "
            f"serve(port={port}, open_browser=False, max_sessions={max_sessions}, "
            f"workers={workers})")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            time.sleep(1.0 if workers > 1 else 0.0)  # let every worker finish importing
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the playground server did not start within 60 s")


def _browser_fps(port: int, seconds: float) -> dict:
    """Frames drawn per second by the real page in headless Chromium (spiral, 2x8)."""
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/#dataset=spiral&layers=8,8&activations=tanh,tanh"
                  "&optimizer=adam")
        page.wait_for_function("window.playground && window.playground.state().generation >= 1")
        page.click("#play")
        page.wait_for_function("window.playground.stats.framesDrawn > 3")
        n0, t0 = page.evaluate("window.playground.stats.framesDrawn"), time.perf_counter()
        page.wait_for_timeout(seconds * 1000)
        n1, t1 = page.evaluate("window.playground.stats.framesDrawn"), time.perf_counter()
        draw_ms = page.evaluate("window.playground.stats.drawMs")
        errors = page.evaluate("window.playground.stats.errors")
        loss = page.evaluate("window.playground.state().lastFrame.test_loss")
        browser.close()
    fps = (n1 - n0) / (t1 - t0)
    return {"scenario": "1 in Chromium", "sessions": 1, "seconds": round(t1 - t0, 1),
            "fps_mean": fps, "fps_min": fps, "fps_max": fps, "total_fps": fps,
            "epochs_mean": None, "errors": len(errors), "error_messages": errors[:5],
            "draw_ms": draw_ms, "test_loss": loss}


async def _session(url: str, seconds: float, start: asyncio.Event) -> dict:
    """One tab: configure, play, ack frames for ``seconds``; count frames and errors."""
    out = {"frames": 0, "errors": [], "epochs": 0, "test_loss": None, "seconds": seconds}
    try:
        async with websockets.connect(url, max_size=2**22, open_timeout=30) as ws:
            for _ in range(3):  # hello, data, first frame
                json.loads(await asyncio.wait_for(ws.recv(), 30))
            await ws.send(json.dumps({"type": "config", "config": SPIRAL_2x8}))
            await start.wait()
            await ws.send(json.dumps({"type": "play"}))
            t0 = time.perf_counter()
            while (elapsed := time.perf_counter() - t0) < seconds:
                raw = await asyncio.wait_for(ws.recv(), 30)
                msg = json.loads(raw)
                if msg["type"] == "error":
                    out["errors"].append(msg["message"])
                elif msg["type"] == "frame":
                    await ws.send(json.dumps({"type": "ack", "frame": msg["frame"]}))
                    if msg["epoch"] > 0 or out["frames"]:
                        out["frames"] += 1
                    out["epochs"], out["test_loss"] = msg["epoch"], msg["test_loss"]
            out["seconds"] = elapsed
            await ws.send(json.dumps({"type": "pause"}))
    except Exception as err:  # a failed session is a result to report, not a crash
        out["errors"].append(f"{type(err).__name__}: {err}")
    out["fps"] = out["frames"] / out["seconds"]
    return out


async def _run(url: str, n: int, seconds: float) -> list[dict]:
    start = asyncio.Event()
    tasks = [asyncio.create_task(_session(url, seconds, start)) for _ in range(n)]
    await asyncio.sleep(1.0)  # let every tab connect and configure first
    start.set()
    return await asyncio.gather(*tasks)


def _summary(name: str, runs: list[dict]) -> dict:
    fps = [r["fps"] for r in runs]
    return {"scenario": name, "sessions": len(runs), "seconds": round(runs[0]["seconds"], 1),
            "fps_mean": statistics.mean(fps), "fps_min": min(fps), "fps_max": max(fps),
            "total_fps": sum(fps), "epochs_mean": statistics.mean(r["epochs"] for r in runs),
            "errors": sum(len(r["errors"]) for r in runs),
            "error_messages": sorted({e for r in runs for e in r["errors"]})[:5]}


def _scenario(name: str, n: int, seconds: float, workers: int) -> dict:
    port = _free_port()
    # The cap is split between worker processes and the kernel does not spread connections
    # evenly, so give every worker room for all sessions.
    server = _start_server(port, max_sessions=max(32, n) * workers, workers=workers)
    try:
        row = _summary(name, asyncio.run(_run(f"ws://127.0.0.1:{port}/ws", n, seconds)))
    finally:
        server.terminate()
        server.wait(timeout=20)
    row["workers"] = workers
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--single-seconds", type=float, default=10.0)
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    args = ap.parse_args()
    rows = [_scenario(f"{args.sessions} concurrent", args.sessions, args.seconds, 1),
            _scenario(f"{args.sessions} concurrent", args.sessions, args.seconds, 2),
            _scenario("1 alone", 1, args.single_seconds, 1)]
    if not args.no_browser and Path("/usr/bin/chromium").exists():
        port = _free_port()
        server = _start_server(port, 4, 1)
        try:
            rows.append({**_browser_fps(port, args.single_seconds), "workers": 1})
        finally:
            server.terminate()
            server.wait(timeout=20)
    head = f"{'scenario':<16}{'workers':>8}{'sessions':>9}{'s':>6}{'fps/session':>13}{'min':>7}" \
           f"{'max':>7}{'total fps':>11}{'epochs':>8}{'errors':>8}"
    print(head)
    for r in rows:
        epochs = "" if r["epochs_mean"] is None else f"{r['epochs_mean']:.1f}"
        print(f"{r['scenario']:<16}{r['workers']:>8}{r['sessions']:>9}{r['seconds']:>6}"
              f"{r['fps_mean']:>13.1f}{r['fps_min']:>7.1f}{r['fps_max']:>7.1f}"
              f"{r['total_fps']:>11.1f}{epochs:>8}{r['errors']:>8}")
        for e in r["error_messages"]:
            print("   error:", e)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "cpus": os.cpu_count(), "loadavg": load,
                                   "python": platform.python_version(),
                                   "network": "spiral, 2x8 tanh, adam 0.03, batch 10"}, indent=2))
    print(f"wrote {RESULTS}; load average {load} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
