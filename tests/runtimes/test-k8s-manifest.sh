#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# share/kubernetes/burrowfs-daemonset.yaml parses as YAML, and kubectl decodes
# it offline into the typed apps/v1 DaemonSet: `kubectl set env --local`
# (kubectl create/apply --dry-run=client still ask the API server for its
# resource list). kubectl drops fields it does not know, so every value of
# the file must come back unchanged in kubectl's output. Also the manifest's
# promises: privileged, hostPID, the Bidirectional hostPath
# /var/lib/burrowfs-node with burrowfs's mountpoint one directory below it
# (no volume's source, which the runtime stats as it starts a container, is
# the mount or inside it), hostPath /run/burrowfs and hooks.d, the hook given
# that mountpoint, the opt-out annotation. Needs no root.

# shellcheck source=../lib/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib/lib.sh"

SRC=${SOURCE_ROOT:-$T_DIR/../..}
MANIFEST=$SRC/share/kubernetes/burrowfs-daemonset.yaml
trap 't_on_exit' EXIT
trap 'exit 143' TERM INT HUP
T_TMP=$(mktemp -d /tmp/burrow-test-k8s-manifest.XXXXXX)
defer "rm -rf --one-file-system '$T_TMP'"
KUBECTL=$(command -v kubectl) || die "kubectl is not installed (apt-get install kubernetes-client)"
"$PYTHON" -c 'import yaml' 2>/dev/null || die "python3-yaml is not installed"

# No cluster, no kubeconfig of the user's.
HOME=$T_TMP KUBECONFIG=/dev/null "$KUBECTL" set env --local -f "$MANIFEST" -o json \
	-c burrowfs BURROW_MANIFEST_CHECK=1 >"$T_TMP/out.json" 2>"$T_TMP/err"
rc=$?
check_eq "kubectl decodes the manifest offline ($(head -c 300 "$T_TMP/err"))" "$rc" 0

# Debian 12's kubectl is 1.20, older than a DaemonSet's maxSurge (apps/v1
# since Kubernetes 1.22, where rolling updates without a gap began): that
# one field, and only it, is unknown to a kubectl before 1.22.
minor=$(HOME=$T_TMP KUBECONFIG=/dev/null "$KUBECTL" version --client -o json 2>/dev/null |
	"$PYTHON" -c 'import json, re, sys; print(re.sub(r"\D.*", "", json.load(sys.stdin)["clientVersion"]["minor"]))')
note "kubectl 1.$minor"
check_cmd "every value of the manifest comes back from kubectl" \
	"$PYTHON" - "$MANIFEST" "$T_TMP/out.json" "${minor:-0}" <<'EOF2'
import json, sys, yaml
want = yaml.safe_load(open(sys.argv[1]))
if int(sys.argv[3]) < 22:
    del want["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"]
got = json.load(open(sys.argv[2]))
bad = []
def walk(w, g, path):
    if isinstance(w, dict):
        if not isinstance(g, dict):
            bad.append(path); return
        for k, v in w.items():
            walk(v, g.get(k), path + "." + k)
    elif isinstance(w, list):
        if not isinstance(g, list) or len(g) < len(w):
            bad.append(path); return
        for i, v in enumerate(w):
            walk(v, g[i], "%s[%d]" % (path, i))
    elif w != g:
        bad.append("%s: %r != %r" % (path, w, g))
walk(want, got, "")
for b in bad:
    print("# lost or changed:", b)
sys.exit(1 if bad else 0)
EOF2

check_cmd "the manifest keeps its promises" "$PYTHON" - "$MANIFEST" <<'EOF2'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["kind"] == "DaemonSet" and d["apiVersion"] == "apps/v1"
t = d["spec"]["template"]
p = t["spec"]
assert p["hostPID"] is True
assert t["metadata"]["annotations"]["io.burrow.disable"] == "true"
c = {x["name"]: x for x in p["containers"]}["burrowfs"]
assert c["securityContext"]["privileged"] is True
vols = {v["name"]: v["hostPath"]["path"] for v in p["volumes"]}
mounts = {vols[m["name"]]: m for m in c["volumeMounts"]}
vol = mounts["/var/lib/burrowfs-node"]
assert vol["mountPropagation"] == "Bidirectional" and vol["mountPath"] == "/var/lib/burrowfs-node"
assert "/run/burrowfs" in mounts and "/sys/fs/cgroup" in mounts
init = {x["name"]: x for x in p["initContainers"]}["install-hook"]
assert "/usr/share/containers/oci/hooks.d" in [vols[m["name"]] for m in init["volumeMounts"]]
env = lambda x: {e["name"]: e["value"] for e in x["env"]}
mnt = env(c)["BURROWFS_MOUNT"]
assert mnt == "/var/lib/burrowfs-node/mnt", mnt
# The hooks.d entry the init container writes names the same mountpoint.
assert env(init)["BURROWFS_MOUNT"] == mnt
assert '"--burrowfs","%s"' in init["command"][-1]
# Nothing the runtime stats at a container's start is the mount or below it.
for x in p["initContainers"] + p["containers"]:
    for m in x.get("volumeMounts", []):
        src = vols[m["name"]] + "/" + m.get("subPath", "")
        assert not (src.rstrip("/") + "/").startswith(mnt + "/"), (x["name"], m)
assert not any((v + "/").startswith(mnt + "/") for v in vols.values())
ru = d["spec"]["updateStrategy"]["rollingUpdate"]
assert ru["maxSurge"] == 1 and ru["maxUnavailable"] == 0
EOF2
