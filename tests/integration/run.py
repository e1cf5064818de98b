#!/usr/bin/env python3
"""Integration tests of the verification service (issue 3).

    python3 tests/integration/run.py --bin BIN [--build BUILD] [-k PATTERN] [--keep]

Starts the real BIN/sealregd on 127.0.0.1 (port 0) over temporary demo
registries made by BIN/sealdemo, talks HTTP to it and checks the answers
against docs/openapi.yaml and the issue; checks registry state with
BIN/sealctl.  Image fixtures come from BUILD/tests/tools/itfix (`make tests`).
BUILD defaults to $BUILD, else to the parent of BIN when BIN is not ./bin,
else build.  Prints one line per test and closes with "N passed, N failed";
exits non-zero when anything failed.  Python 3 standard library only.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases  # noqa: E402
from harness import ROOT, Fail, Tools  # noqa: E402


def default_build(bindir):
    if os.environ.get("BUILD"):
        return os.environ["BUILD"]
    b = os.path.abspath(bindir)
    if os.path.basename(b) == "bin" and os.path.dirname(b) != ROOT:
        return os.path.dirname(b)
    return os.path.join(ROOT, "build")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("BIN", "bin"))
    ap.add_argument("--build", default=None)
    ap.add_argument("-k", dest="pattern", default=None, help="run tests whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    bindir = args.bin if os.path.isabs(args.bin) else os.path.join(ROOT, args.bin)
    build = args.build or default_build(bindir)
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    tools = Tools(bindir, build)
    missing = tools.missing()
    if missing:
        print("FAIL setup: missing programs: %s (run `make tests`)" % ", ".join(missing))
        print("0 passed, 1 failed")
        return 1

    tmp = tempfile.mkdtemp(prefix="sealreg-it-")
    tools.snapshot(os.path.join(tmp, "bin"))
    ctx = cases.Context(tools, tmp)
    passed = failed = 0
    t_start = time.monotonic()
    try:
        try:
            ctx.setup()
        except Exception as e:  # noqa: BLE001 - report any setup failure
            print("FAIL setup: %s" % (e if isinstance(e, Fail) else traceback.format_exc()))
            if ctx.main is not None:
                print("  daemon log tail: %s" % ctx.main.log_tail(1500))
            print("0 passed, 1 failed")
            return 1
        for name, fn in cases.TESTS:
            if args.pattern and args.pattern not in name:
                continue
            t0 = time.monotonic()
            try:
                ctx.ensure_main()
                fn(ctx)
            except Fail as e:
                failed += 1
                print("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0, e))
            except Exception:  # noqa: BLE001 - a crash of a test is a failure
                failed += 1
                print("FAIL %s (%.1fs): %s" % (name, time.monotonic() - t0,
                                                traceback.format_exc()))
            else:
                passed += 1
                note = ("  [%s]" % "; ".join(ctx.notes)) if ctx.notes else ""
                print("ok   %s (%.1fs)%s" % (name, time.monotonic() - t0, note))
            ctx.notes = []
            sys.stdout.flush()
    finally:
        try:
            ctx.teardown()
        except Exception:  # noqa: BLE001
            traceback.print_exc()
        if args.keep:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("integration: %.1fs" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
