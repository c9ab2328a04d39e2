# Copyright: (c) 2026, backupops.veeam contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures that run the Veeam API simulator (tests/veeamsim) as a separate process.

- `simulator`: one simulator for the whole test session; reset before every test that uses it.
- `make_simulator(*args)`: start another simulator with extra CLI arguments (ended at session end).
- `scaled_simulator(n)`: a simulator started with `--scale n` (one per n, reused).
- `api`: `em`, `vspc` and `vbr` in turn, for the tests that run on every API.

After every test that used `simulator`, no VBR answer may have failed its validation against Veeam's
OpenAPI documents (`counters.vbr.schema_violations`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

import pytest
import requests

try:
    import ansible_runner
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    ansible_runner = None

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 60.0


class Simulator(object):
    """A running simulator process and a client for its /_sim control endpoints."""

    def __init__(self, proc, info, state_dir, log_path):
        self.proc = proc
        self.state_dir = state_dir
        self.log_path = log_path
        self.info = info
        self.em_url = info["em_url"]
        self.vspc_url = info["vspc_url"]
        self.vbr_url = info["vbr_url"]
        self.em_port = info["em_port"]
        self.vspc_port = info["vspc_port"]
        self.vbr_port = info["vbr_port"]
        self.host = info["host"]
        self.ca_path = info["ca_path"]
        self.pid = info["pid"]
        host = "[%s]" % self.host if ":" in self.host else self.host
        self.control_url = "https://%s:%d/_sim" % (host, self.em_port)
        self.http = self.session()

    def port(self, api):
        """The port of the `em`, `vspc` or `vbr` listener."""
        return {"em": self.em_port, "vspc": self.vspc_port, "vbr": self.vbr_port}[api]

    def session(self):
        """A requests session that trusts the simulator's CA (and ignores REQUESTS_CA_BUNDLE)."""
        sess = requests.Session()
        sess.trust_env = False
        sess.verify = self.ca_path
        return sess

    def _call(self, method, path, body=None):
        resp = self.http.request(method, self.control_url + path, json=body, timeout=60)
        if resp.status_code >= 400:
            raise AssertionError("simulator control %s %s failed: %s %s" % (method, path, resp.status_code, resp.text))
        return resp.json()

    # control API -------------------------------------------------------------------------------
    def counters(self):
        return self._call("GET", "/counters")

    def reset(self):
        return self._call("POST", "/reset")

    def fault(self, **kw):
        return self._call("POST", "/faults", kw)

    def clear_faults(self):
        return self._call("DELETE", "/faults")

    def expire(self, api="any"):
        return self._call("POST", "/expire", {"api": api})

    def log(self):
        return self._call("GET", "/log")

    def data(self):
        return self._call("GET", "/data")

    def add_user(self, username, password, role="admin"):
        return self._call("POST", "/users", {"username": username, "password": password, "role": role})

    def configure_job(self, job_id, **kw):
        return self._call("POST", "/jobs/%s" % job_id, kw)

    def settings(self, **kw):
        return self._call("POST", "/settings", kw)

    def add_job(self, name, **kw):
        """POST /_sim/jobs: a new job (kind, em_type, platform, server, schedule_configured, schedule_enabled)."""
        return self._call("POST", "/jobs", dict(kw, name=name))

    def flag_malware(self, machine, status="Infected", **kw):
        """Flag the machine's newest restore point (and every later one) with a malware status (Clean: mark the
        machine clean again); answers the machine's malware record (status, restore_point_id, event_id, ...)."""
        return self._call("POST", "/machines/%s/malware" % quote(machine, safe=""), dict(kw, status=status))

    def malware(self, machine):
        return self._call("GET", "/machines/%s/malware" % quote(machine, safe=""))

    def violations(self):
        """The VBR answers that did not fit Veeam's OpenAPI document of their revision."""
        return self._call("GET", "/vbr/violations")

    # helpers -----------------------------------------------------------------------------------
    def job(self, name, server=None, agent=False):
        """The /_sim/data record of the job called `name` (on `server` when given)."""
        data = self.data()
        jobs = data["agent_jobs"] if agent else data["jobs"]
        found = [j for j in jobs if j["name"] == name and (server is None or j["server_name"] == server)]
        assert len(found) == 1, "expected one job %r, found %d" % (name, len(found))
        return found[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def start_simulator(*args):
    """Start `python -m veeamsim` with extra args; wait for its ready file (polling, with a deadline)."""
    state_dir = tempfile.mkdtemp(prefix="veeamsim-test-")
    ready = os.path.join(state_dir, "ready.json")
    log_path = os.path.join(state_dir, "simulator.log")
    env = dict(os.environ)
    env["PYTHONPATH"] = TESTS_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "veeamsim", "--host", "127.0.0.1", "--em-port", "0", "--vspc-port", "0",
           "--vbr-port", "0", "--state-dir", state_dir, "--ready-file", ready] + [str(a) for a in args]
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=TESTS_DIR)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if os.path.exists(ready):
            try:
                with open(ready) as handle:
                    info = json.load(handle)
                break
            except ValueError:
                pass
        if proc.poll() is not None:
            with open(log_path) as handle:
                raise RuntimeError("simulator exited with %s:\n%s" % (proc.returncode, handle.read()))
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("simulator did not become ready within %ss" % START_TIMEOUT)
        time.sleep(0.05)
    return Simulator(proc, info, state_dir, log_path)


@pytest.fixture(params=("em", "vspc", "vbr"))
def api(request):
    """A test that takes `api` runs once per API: Enterprise Manager, the Service Provider Console and
    the Veeam Backup & Replication REST API."""
    return request.param


@pytest.fixture(scope="session")
def make_simulator():
    started = []

    def factory(*args):
        sim = start_simulator(*args)
        started.append(sim)
        return sim
    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture(scope="session")
def simulator(make_simulator):
    return make_simulator()


@pytest.fixture(scope="session")
def scaled_simulator(make_simulator):
    cache = {}

    def factory(n):
        if n not in cache:
            cache[n] = make_simulator("--scale", n)
        return cache[n]
    return factory


@pytest.fixture(autouse=True)
def _reset_simulator(request):
    """Every test that uses `simulator` starts from the initial data set, and leaves no VBR answer that
    failed its validation against Veeam's OpenAPI documents."""
    if "simulator" not in request.fixturenames:
        yield
        return
    sim = request.getfixturevalue("simulator")
    sim.reset()
    yield
    violations = sim.counters()["vbr"]["schema_violations"]
    assert violations == 0, "VBR answers that do not fit Veeam's documents:\n%s" % json.dumps(
        sim.violations(), indent=1)


@pytest.fixture
def runner():
    """The ansible_runner module (the tests that run plays as AWX does)."""
    if ansible_runner is None:
        pytest.fail('ansible-runner is not installed in this Python (%s): install the development requirements, '
                    '`pip install -r requirements-dev.txt` (or `make venv`)' % sys.executable, pytrace=False)
    return ansible_runner
