"""A fork server for the tests that run the training command many times (the kill test).

Started as ``python forkserver.py SCRIPT``, it imports minidl once, then answers one JSON
request per line on stdin:

* ``{"run": [args...], "stdout": path, "stderr": path}`` forks a child that runs SCRIPT as
  ``__main__`` with those arguments, its output going to the two files; answers ``{"pid": N}``;
* ``{"wait": N}`` waits for child N to end; answers ``{"code": exit code}`` (``-9`` for a
  SIGKILL, as ``subprocess`` reports it).

Why: a new interpreter spends about a second importing NumPy and minidl before the script does
anything, and the kill test runs the script 40 times. A forked child starts with those imports
done, and is otherwise the script as a user runs it: its own process, killed by a real SIGKILL
(the test sends it straight to the child's pid).
"""
import json
import os
import runpy
import sys
import traceback

import minidl  # noqa: F401 (imported for the children: the second this saves each run)
import minidl.data.datasets  # noqa: F401
import minidl.nn.functional  # noqa: F401
import minidl.train  # noqa: F401

SCRIPT = sys.argv[1]
sys.path.insert(0, os.path.dirname(SCRIPT))  # as `python SCRIPT` has it (its helper modules)


def run_child(request: dict) -> None:
    """In the forked child: run the script with the request's arguments, then exit."""
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
    sys.stdin.close()
    sys.argv = [SCRIPT, *request["run"]]
    code = 0
    try:
        runpy.run_path(SCRIPT, run_name="__main__")
    except SystemExit as exc:  # sys.exit(n) in the script, as the interpreter would treat it
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # never return into the server's loop


for line in sys.stdin:
    request = json.loads(line)
    if "run" in request:
        pid = os.fork()
        if pid == 0:
            run_child(request)
        answer = {"pid": pid}
    else:
        _, status = os.waitpid(request["wait"], 0)
        answer = {"code": os.waitstatus_to_exitcode(status)}
    print(json.dumps(answer), flush=True)
