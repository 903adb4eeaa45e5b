#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""k8s-podman.py MANIFEST CONTAINER [--map NODE_PATH=PATH]... [--env K=V]...

The `podman run` options and the command that run CONTAINER (a container or
an init container) of the DaemonSet in MANIFEST as a node's runtime would:
privileged, the host's pid namespace, the pod's annotations, each hostPath
volume bound with its mountPropagation (Bidirectional: rshared), the env.
A node path given by --map lives at PATH instead (on the host and, where the
manifest mounts it at its own path, in the container), and env values naming
it or a path below it follow; --env overrides a variable. hostPath volumes of
type DirectoryOrCreate are created. Prints the options, then "--", then the
command, each argument ended by a NUL.
"""
import os
import sys

import yaml

PROPAGATION = {None: "rprivate", "None": "rprivate", "HostToContainer": "rslave",
               "Bidirectional": "rshared"}


def main():
    args = sys.argv[1:]
    manifest, name = args[0], args[1]
    maps, envs = {}, {}
    i = 2
    while i < len(args):
        k, v = args[i + 1].split("=", 1)
        (maps if args[i] == "--map" else envs)[k] = v
        i += 2

    doc = yaml.safe_load(open(manifest))
    assert doc["kind"] == "DaemonSet", doc["kind"]
    tpl = doc["spec"]["template"]
    pod = tpl["spec"]
    ctrs = [c for c in pod.get("initContainers", []) + pod["containers"] if c["name"] == name]
    assert len(ctrs) == 1, "no container %s" % name
    c = ctrs[0]
    volumes = {v["name"]: v for v in pod.get("volumes", [])}

    def node(p):
        for k in sorted(maps, key=len, reverse=True):
            if p == k or p.startswith(k.rstrip("/") + "/"):
                return maps[k] + p[len(k):]
        return p

    opts = []
    if pod.get("hostPID"):
        opts.append("--pid=host")
    if c.get("securityContext", {}).get("privileged"):
        opts.append("--privileged")
    for k, v in tpl["metadata"].get("annotations", {}).items():
        opts += ["--annotation", "%s=%s" % (k, v)]
    for m in c.get("volumeMounts", []):
        hp = volumes[m["name"]]["hostPath"]
        src = node(hp["path"])
        if hp.get("type") == "DirectoryOrCreate":
            # Not makedirs(exist_ok): its stat would wait on a FUSE mount
            # there whose daemon is what this container is to start.
            try:
                os.makedirs(src)
            except FileExistsError:
                pass
        dst = src if m["mountPath"] == hp["path"] else m["mountPath"]
        opts += ["-v", "%s:%s:%s" % (src, dst, PROPAGATION[m.get("mountPropagation")])]
    for e in c.get("env", []):
        v = envs.get(e["name"], node(e["value"]))
        opts += ["--env", "%s=%s" % (e["name"], v)]
    out = opts + ["--"] + c.get("command", []) + c.get("args", [])
    sys.stdout.write("".join(a + "\0" for a in out))


main()
