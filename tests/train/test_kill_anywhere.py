"""A SIGKILL at any instant of a training run, then ``--resume``, ends exactly as a run that was
never interrupted: the same weights to the bit, the same best epoch, the same test accuracy.

The run saves its checkpoint after every step (``--checkpoint-every 1``). Half the kills come
at a random instant (between saves, in a step, in validation, in the final test and export, or
in a save); the other half at the first instant after a random delay when a save is writing
its temporary file, so that kills inside a save are many, not left to chance.

The settings make the last epoch *not* the best one (epochs 1 and 2 improve, epoch 3 does
not), which is what a checkpoint whose "last" and "best" parts disagree would get wrong: a
resume would then test other weights than the straight run's epoch 2.

Runs go through a fork server (``forkserver.py``) so that 41 runs fit in CI's time; two run at
once, one per core.
"""
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import minidl

from .helpers import ForkServer, assert_same_run

KILLS = 20
# 48 images in batches of 16: 3 steps per epoch, 9 in all, each followed by a save.
ARGS = ["--epochs", "3", "--limit", "48", "--batch-size", "16", "--val-size", "40", "--width",
        "4", "--lr", "0.1", "--seed", "1", "--checkpoint-every", "1", "--no-progress",
        "--no-curves"]
RESULT = re.compile(r"test accuracy .* with the weights of epoch \d+")


def wait_for(path, deadline=60.0):
    end = time.monotonic() + deadline
    while not path.exists():
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.001)


def running(pid):
    """Whether process ``pid`` still runs (ended, it is a zombie until the server reaps it)."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0] != "Z"


def final_state(out):
    """The finished run's checkpoint, and the line that reports its test result."""
    state = minidl.load(out / "checkpoint.safetensors")
    return state, RESULT.search((out / "stdout").read_text()).group(0)


def run(server, data, out, *extra):
    """Run the script to its end (its stdout is kept in out/stdout)."""
    pid, stdout, stderr = server.start("--data-dir", data, "--out", out, *ARGS, *extra)
    assert server.wait(pid) == 0, stderr.read_text()
    os.replace(stdout, out / "stdout")


def kill_then_resume(server, data, out, delay, mid_save):
    """Start a run, kill it ``delay`` s after its first checkpoint appeared (``mid_save``: at
    the first instant after that when a save is writing its temporary file), resume it to the
    end. Returns None if the run ended before the kill, else whether the kill hit a save."""
    pid, _, _ = server.start("--data-dir", data, "--out", out, *ARGS)
    wait_for(out / "checkpoint.safetensors")
    time.sleep(delay)
    while mid_save and not any(out.glob(".*.part")) and running(pid):
        time.sleep(0.0005)
    os.kill(pid, signal.SIGKILL)  # a real kill: no handler, no cleanup
    if server.wait(pid) != -signal.SIGKILL:
        return None  # it finished first: not a kill
    inside_a_save = any(out.glob(".*.part"))  # a temporary file that was never renamed
    run(server, data, out, "--resume")
    return inside_a_save


def test_kill_at_random_instants_then_resume_equals_a_straight_run(tiny_data, tmp_path):
    servers = [ForkServer(tmp_path / f"logs{k}") for k in range(2)]
    try:
        # The straight run, timed from its first checkpoint to its end: the kills fall there.
        straight = tmp_path / "straight"
        start = time.monotonic()
        pid, stdout, stderr = servers[0].start("--data-dir", tiny_data, "--out", straight, *ARGS)
        wait_for(straight / "checkpoint.safetensors")
        first_save = time.monotonic()
        assert servers[0].wait(pid) == 0, stderr.read_text()
        duration = time.monotonic() - first_save
        os.replace(stdout, straight / "stdout")
        expected, expected_line = final_state(straight)
        assert "with the weights of epoch 2" in expected_line  # best != last, as intended
        # Three instants per kill: one that comes after the run ended is replaced by the next.
        delays = np.random.default_rng(0).uniform(0, duration, size=(KILLS, 3))

        def worker(server, kills):
            outcomes = []
            for i in kills:
                for attempt, delay in enumerate(delays[i]):
                    out = tmp_path / f"kill{i}-{attempt}"
                    outcome = kill_then_resume(server, tiny_data, out, delay, mid_save=i % 2)
                    if outcome is not None:
                        state, line = final_state(out)
                        assert line == expected_line, out
                        assert_same_run(expected, state, steps=9)
                        outcomes.append(outcome)
                        break
            return outcomes

        with ThreadPoolExecutor(len(servers)) as pool:
            jobs = [pool.submit(worker, server, range(k, KILLS, len(servers)))
                    for k, server in enumerate(servers)]
            outcomes = [outcome for job in jobs for outcome in job.result()]
        assert len(outcomes) == KILLS
        # Both kinds of instant were hit: inside a save, and elsewhere.
        assert any(outcomes) and not all(outcomes), outcomes
        print(f"{KILLS} kills ({sum(outcomes)} inside a save) and resumes in "
              f"{time.monotonic() - start:.0f} s")
    finally:
        for server in servers:
            server.close()
