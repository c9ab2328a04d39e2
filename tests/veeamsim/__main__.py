# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: PYTHONPATH=tests python -m veeamsim --ready-file F [options]. See README.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time

from . import server, state, tls


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="veeamsim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--em-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--vspc-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--vbr-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--scale", type=int, default=0, help="add N backup jobs and N agent jobs")
    parser.add_argument("--scale-machines", type=int, default=1, help="machines in each job --scale adds")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--state-dir", default=None, help="where ca.pem and the server certificate go")
    parser.add_argument("--ready-file", default=None)
    parser.add_argument("--em-session-idle", type=float, default=900.0)
    parser.add_argument("--vspc-token-lifetime", type=float, default=3600.0)
    parser.add_argument("--vbr-version", default="13.1", choices=state.VBR_VERSIONS,
                        help="the VBR version the VBR listener is: it decides the REST API revisions served")
    parser.add_argument("--vbr-validate", default="on", choices=("on", "off"),
                        help="validate every VBR answer against Veeam's OpenAPI document of its revision")
    parser.add_argument("--vbr-token-lifetime", type=float, default=900.0, help="VBR access token lifetime (s)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _url_host(host):
    return "[%s]" % host if ":" in host else host


def _wait_accepting(host, port, deadline):
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def main(argv=None):
    args = parse_args(argv)
    state_dir = args.state_dir or tempfile.mkdtemp(prefix="veeamsim-")
    os.makedirs(state_dir, exist_ok=True)
    # The certificates are made aside and put in place only once the ports are ours: a second simulator on the
    # same ports must fail without replacing the CA that the running one's clients trust.
    fresh = tempfile.mkdtemp(prefix=".new-", dir=state_dir)
    try:
        cert_path, key_path = tls.generate(fresh)[1:]
        ctx = tls.server_context(cert_path, key_path)
        model = state.Model(seed=args.seed, scale=args.scale, scale_machines=args.scale_machines,
                            em_idle=args.em_session_idle,
                            vspc_lifetime=args.vspc_token_lifetime, vbr_version=args.vbr_version,
                            vbr_validate=args.vbr_validate == "on", vbr_token_lifetime=args.vbr_token_lifetime)
        try:
            servers = server.start(args.host, args.em_port, args.vspc_port, args.vbr_port, model, ctx, args.verbose)
        except OSError as exc:
            ports = (args.host, args.em_port, args.vspc_port, args.vbr_port, exc.strerror or exc, state_dir)
            sys.stderr.write("veeamsim: cannot listen on %s (ports em %s, vspc %s, vbr %s): %s.\n"
                             "Is a simulator already running? Stop it first (Ctrl-C in its shell), or give other ports "
                             "(make simulator SIM_EM_PORT=... SIM_VSPC_PORT=... SIM_VBR_PORT=...). Nothing in %s "
                             "was changed.\n" % ports)
            return 2
        for name in os.listdir(fresh):
            os.replace(os.path.join(fresh, name), os.path.join(state_dir, name))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    ca_path = os.path.join(state_dir, "ca.pem")
    em_port, vspc_port, vbr_port = [srv.server_address[1] for srv in servers]
    deadline = time.time() + 30
    for port in (em_port, vspc_port, vbr_port):
        _wait_accepting(args.host, port, deadline)
    host = _url_host(args.host)
    info = {
        "em_url": "https://%s:%d/api" % (host, em_port),
        "vspc_url": "https://%s:%d/api/v3" % (host, vspc_port),
        "vbr_url": "https://%s:%d/api/v1" % (host, vbr_port),
        "em_port": em_port,
        "vspc_port": vspc_port,
        "vbr_port": vbr_port,
        "host": args.host,
        "ca_path": os.path.abspath(ca_path),
        "pid": os.getpid(),
    }
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(info, handle)
        os.replace(tmp, args.ready_file)
    print("EM:   %s" % info["em_url"])
    print("VSPC: %s" % info["vspc_url"])
    print("VBR:  %s (VBR %s)" % (info["vbr_url"], args.vbr_version))
    print("CA: %s" % info["ca_path"])
    print("jobs: %d, sessions: %d" % (len(model.jobs), len(model.sessions)))
    sys.stdout.flush()

    stop = threading.Event()

    def _stop(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop.is_set():
        stop.wait(0.5)
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    if args.ready_file:
        try:
            os.unlink(args.ready_file)
        except OSError:
            pass
    if args.state_dir is None:
        shutil.rmtree(state_dir, ignore_errors=True)   # the temp dir this run made
    return 0


if __name__ == "__main__":
    sys.exit(main())
