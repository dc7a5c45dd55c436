#!/usr/bin/env python3
"""The cluster files in packaging/cluster/ really drive samlabel-cli's shards.

Parses the Kubernetes Indexed Job manifest and the Slurm array script, checks
what a scheduler needs from them (Indexed mode, SHARDS == completions, the
array range), then runs each one's own command, once per index, the way the
scheduler would (JOB_COMPLETION_INDEX; SLURM_ARRAY_TASK_ID/MIN/COUNT), against
the tiny detection checkpoint and a few images. Each results file must say it
is the shard its index names (so the CLI read the variables), the shards must
cover every image once, and merged they must equal one unsharded run.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SCHEDULER_VARS = ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX",
                  "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_JOB_ID")
# AUTOLABEL_ARGS is split on spaces by both scripts: prompts with spaces belong in the project's class prompts.
ARGS = "--only-unlabeled --class car --class person --threshold 0.3"


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def base_env(cli):
    env = {k: v for k, v in os.environ.items() if k not in SCHEDULER_VARS}
    env["PATH"] = os.path.dirname(os.path.abspath(cli)) + os.pathsep + env.get("PATH", "")
    env["OMP_NUM_THREADS"] = "1"
    return env


def make_project(folder, samples):
    os.makedirs(folder)
    for name in sorted(os.listdir(samples)):
        if name.endswith(".jpg"):
            shutil.copy(os.path.join(samples, name), folder)
    with open(os.path.join(folder, "samlabel-project.json"), "w") as f:
        json.dump({"format": "samlabel-project", "version": 3, "image_root": ".", "next_class_id": 2, "next_instance_id": 1,
                   "classes": [{"id": 0, "name": "car", "color": "#ff0000"}, {"id": 1, "name": "person", "color": "#00ff00"}],
                   "images": []}, f)
    return os.path.join(folder, "samlabel-project.json")


def results_header(path):
    with open(path) as f:
        return json.loads(f.readline())


def results_images(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return [json.loads(line)["image"] for line in lines[1:]]


def without_times(project_file):
    with open(project_file) as f:
        project = json.load(f)
    for image in project["images"]:
        if "autolabel" in image:
            image["autolabel"]["at_ms"] = 0
        for inst in image["instances"]:
            inst["created_ms"] = inst["modified_ms"] = 0
    return project


def run(cmd, env, what):
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        fail("%s exited %d\nstdout:\n%s\nstderr:\n%s" % (what, done.returncode, done.stdout, done.stderr))
    return done


def check_shards(name, results, count, cli, project, expected_project, image_count):
    seen = []
    for index, path in enumerate(results):
        if not os.path.exists(path):
            fail("%s: shard %d wrote no %s" % (name, index, path))
        shard = results_header(path)["shard"]
        if shard != {"index": index, "count": count}:
            fail("%s: task %d ran as shard %s, expected %d/%d: the CLI did not get the scheduler's variables" %
                 (name, index, shard, index, count))
        seen += results_images(path)
    if sorted(seen) != sorted(set(seen)) or len(seen) != image_count:
        fail("%s: the shards hold %d image entries (%d distinct) for %d images" % (name, len(seen), len(set(seen)), image_count))
    run([cli, "merge", project] + results, base_env(cli), name + ": merge")
    if without_times(project) != without_times(expected_project):
        fail("%s: the merged shards differ from one unsharded run" % name)
    print("%s: %d shards, %d images, merged == unsharded" % (name, count, image_count))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--cluster", required=True, help="packaging/cluster")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="samlabel-cluster-")
    try:
        # The reference: one unsharded run merged into its project.
        whole = make_project(os.path.join(tmp, "whole"), a.samples)
        image_count = len([n for n in os.listdir(os.path.dirname(whole)) if n.endswith(".jpg")])
        run([a.cli, "autolabel", whole, "--weights", a.weights, "--device", "cpu"] + ARGS.split(), base_env(a.cli), "unsharded run")

        # ---- Kubernetes Indexed Job
        with open(os.path.join(a.cluster, "autolabel-indexed-job.yaml")) as f:
            job = yaml.safe_load(f)
        if job.get("kind") != "Job" or job["spec"].get("completionMode") != "Indexed":
            fail("the manifest is not an Indexed Job")
        count = int(job["spec"]["completions"])
        container = job["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
        if int(env.get("SHARDS", "0")) != count:
            fail("SHARDS=%s but completions=%d: each pod would take the wrong share" % (env.get("SHARDS"), count))
        command = container["command"] + container.get("args", [])
        if "--shard-count" not in " ".join(command) or "JOB_COMPLETION_INDEX" not in " ".join(command):
            fail("the Job's command must pass --shard-count and name its results file by JOB_COMPLETION_INDEX")
        project = make_project(os.path.join(tmp, "k8s"), a.samples)
        results_dir = os.path.join(tmp, "k8s-results")
        for index in range(count):
            e = base_env(a.cli)
            e.update(env)
            e.update({"PROJECT": project, "WEIGHTS": a.weights, "RESULTS_DIR": results_dir, "DEVICE": "cpu",
                      "AUTOLABEL_ARGS": ARGS, "JOB_COMPLETION_INDEX": str(index)})
            run(command, e, "Indexed Job pod %d" % index)
        check_shards("kubernetes", [os.path.join(results_dir, "shard-%d.jsonl" % i) for i in range(count)], count, a.cli,
                     project, whole, image_count)

        # ---- Slurm array
        script = os.path.join(a.cluster, "autolabel-array.sbatch")
        with open(script) as f:
            text = f.read()
        m = re.search(r"^#SBATCH --array=(\d+)-(\d+)\s*$", text, re.M)
        if not m:
            fail("the sbatch script has no '#SBATCH --array=FIRST-LAST'")
        first, last = int(m.group(1)), int(m.group(2))
        count = last - first + 1
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))  # comments may mention it
        if re.search(r"--shard[ =]", code):
            fail("the sbatch script passes --shard: it must let samlabel-cli read the SLURM_ARRAY_* variables")
        project = make_project(os.path.join(tmp, "slurm"), a.samples)
        results_dir = os.path.join(tmp, "slurm-results")
        for task in range(first, last + 1):
            e = base_env(a.cli)
            e.update({"PROJECT": project, "WEIGHTS": a.weights, "RESULTS_DIR": results_dir, "DEVICE": "cpu", "AUTOLABEL_ARGS": ARGS,
                      "SLURM_ARRAY_JOB_ID": "4242", "SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": str(first),
                      "SLURM_ARRAY_TASK_MAX": str(last), "SLURM_ARRAY_TASK_COUNT": str(count)})
            run(["bash", script], e, "Slurm array task %d" % task)
        check_shards("slurm", [os.path.join(results_dir, "shard-%d.jsonl" % t) for t in range(first, last + 1)], count, a.cli,
                     project, whole, image_count)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("OK")


if __name__ == "__main__":
    main()
