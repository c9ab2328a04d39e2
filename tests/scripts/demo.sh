#!/usr/bin/env bash
# make demo: start the Veeam simulator, run playbooks/demo.yml against it, stop the simulator.
# make passes DEMO_PYTHON (the venv's python), COLLECTIONS (the collection root that links to this
# checkout) and the venv's bin/ first in PATH. Arguments go to ansible-playbook (make demo DEMO_ARGS=-v).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
collections=${COLLECTIONS:-$top/build/collections}
python=${DEMO_PYTHON:-python3}
playbook=${DEMO_PLAYBOOK:-playbooks/demo.yml}
ready_timeout=${SIM_READY_TIMEOUT:-30}

if [ ! -f "$playbook" ]; then
  echo "demo: $playbook does not exist yet" >&2
  exit 1
fi

state_dir=$(mktemp -d "${TMPDIR:-/tmp}/veeamsim-demo.XXXXXX")
ready="$state_dir/ready.json"
sim_pid=

stop_simulator() {
  local status=$?
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2>/dev/null; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$sim_pid" 2>/dev/null && [ "$waited" -lt 50 ]; do
      sleep 0.2
      waited=$((waited + 1))
    done
    kill -KILL "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$state_dir/simulator.log" ]; then
    echo "demo: last lines of the simulator's output:" >&2
    tail -n 20 "$state_dir/simulator.log" >&2
  fi
  rm -rf "$state_dir"
}
trap stop_simulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PYTHONPATH="$top/tests" "$python" -m veeamsim --ready-file "$ready" --em-port 0 --vspc-port 0 --vbr-port 0 \
  --state-dir "$state_dir" >"$state_dir/simulator.log" 2>&1 &
sim_pid=$!

# Wait for the ready file (written once the three APIs listen), up to $ready_timeout seconds.
deadline=$((SECONDS + ready_timeout))
until [ -s "$ready" ] && "$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "$ready" 2>/dev/null; do
  if ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "demo: the simulator exited before it was ready" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "demo: the simulator was not ready after ${ready_timeout}s" >&2
    exit 1
  fi
  sleep 0.2
done

field() { "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$ready" "$1"; }

export ANSIBLE_COLLECTIONS_PATH="$collections"
export VEEAM_SERVER VEEAM_PORT VEEAM_CA_PATH
VEEAM_SERVER=$(field host)
VEEAM_PORT=$(field em_port)
VEEAM_CA_PATH=$(field ca_path)
export VEEAM_USERNAME=admin
export VEEAM_PASSWORD=Simulator-Pass1
# VEEAM_PORT is the Enterprise Manager port (api: em, the default); a play for the Service
# Provider Console or a VBR server sets port: "{{ lookup('env', 'VEEAM_SIM_VSPC_PORT') }}" (or _VBR_).
export VEEAM_SIM_EM_PORT="$VEEAM_PORT"
export VEEAM_SIM_VSPC_PORT VEEAM_SIM_VBR_PORT
VEEAM_SIM_VSPC_PORT=$(field vspc_port)
VEEAM_SIM_VBR_PORT=$(field vbr_port)

echo "demo: simulator up (pid $sim_pid): Enterprise Manager https://$VEEAM_SERVER:$VEEAM_PORT/api," \
  "Service Provider Console https://$VEEAM_SERVER:$VEEAM_SIM_VSPC_PORT/api/v3," \
  "Backup & Replication https://$VEEAM_SERVER:$VEEAM_SIM_VBR_PORT/api/v1"

# The demo's runs: a few seconds each, and "File Server Backup" fails on purpose, so the demo shows
# what a failed run looks like. (Simulator control API; a real server needs none of this.)
"$python" - "$ready" <<'PY'
import json, ssl, sys, urllib.request
ready = json.load(open(sys.argv[1]))
context = ssl.create_default_context(cafile=ready["ca_path"])
control = "https://%s:%s/_sim" % (ready["host"], ready["em_port"])
def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(control + path, data=data, method=method)
    with urllib.request.urlopen(request, context=context) as answer:
        return json.load(answer)
runs = {"SQL Server; Nightly, Full": (6, "Success", None), "Offsite Backup Copy": (4, "Success", None),
        "File Server Backup": (5, "Failed", "Error: Not enough free space on repository \"Main Repository\""),
        "Legacy Archive Backup": (3, "Success", None)}
for job in call("GET", "/data")["jobs"]:
    if job["name"] in runs:
        duration, outcome, message = runs[job["name"]]
        call("POST", "/jobs/%s" % job["id"], {"duration": duration, "outcome": outcome, "failure_message": message})
# Demo 3's erp01: a VM of the stale "Legacy Archive Backup" job, whose quick backup fails
call("POST", "/machines", {"name": "erp01", "job": "Legacy Archive Backup", "backed_up": True})
call("POST", "/machines/erp01", {"outcome": "Failed", "failure_message": "Error: VSS snapshot of C: timed out (demo)"})
PY
ansible-playbook "$playbook" "$@"
