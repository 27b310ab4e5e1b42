#!/usr/bin/env python3
"""Start-up time of the mock arXiv API (was a timed unit test; speed is
measured here, not asserted): seconds until the port opens ("listening"
line) and until the word index is ready (/_mock/health), for a corpus size.

    python3 test/bench/mock_startup.py [--corpus-size 60000] [--runs 3]

The old test's limit, for reference: the port opens within 5 s for 60000
papers on the 2-core CI machine.  test/mock/test_mock.py checks, by
counting, that the index is built after the port opens."""
import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

MOCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock", "arxiv_mock.py")


def one(size):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t0 = time.time()
    p = subprocess.Popen([sys.executable, MOCK, "--port", str(port), "--corpus-size", str(size)],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if "listening" not in p.stdout.readline().decode():
            raise SystemExit("mock did not start")
        opened = time.time() - t0
        while True:
            with urllib.request.urlopen("http://127.0.0.1:%d/_mock/health" % port, timeout=60) as r:
                if json.loads(r.read().decode()).get("ready"):
                    break
            time.sleep(0.05)
        return opened, time.time() - t0
    finally:
        p.terminate()
        p.wait(10)
        p.stdout.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus-size", type=int, default=60000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    for i in range(a.runs):
        o, r = one(a.corpus_size)
        print("mock start, %d papers: port open %.2f s, index ready %.2f s" % (a.corpus_size, o, r))


if __name__ == "__main__":
    main()
