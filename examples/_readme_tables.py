"""Rewrite the README's lesson tables from the lessons' JSON results (run by ``make lessons``).

Each lesson script saves what it printed (``_lesson_utils.save_results``) to
``examples/results/<lesson>.json``. The README marks every place that shows a lesson's output
with a pair of comments, and this script replaces what lies between them:

    <!-- lesson: optimizers run -->          the date, command, seeds and threads of the run
    <!-- lesson: optimizers table:first -->  the table the script printed with key "first"
    <!-- lesson: optimizers conclusions -->  the sentences the script concluded from its numbers
    <!-- /lesson -->                         (closes each of the above)

so the README's numbers are the scripts' numbers and cannot drift from them.
``--check`` changes nothing and exits 1 when the README is not what the results give.

    python examples/_readme_tables.py [--results DIR] [--readme FILE] [--check]

Read next: ``tests/test_examples.py`` (checks the README against the results).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Dict

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = re.compile(r"(<!-- lesson: (\S+) (\S+) -->\n)(.*?)(<!-- /lesson -->)", re.S)


def load_results(folder: str) -> Dict[str, dict]:
    """Every ``<lesson>.json`` in ``folder``, by lesson name."""
    results = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name)) as f:
                results[name[:-len(".json")]] = json.load(f)
    return results


def markdown_table(table: dict) -> str:
    """A GitHub-flavoured Markdown table; a '|' inside a cell is escaped."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |\n"
    return (line(table["header"]) + line(["---"] * len(table["header"]))
            + "".join(line(row) for row in table["rows"]))


def run_line(meta: dict) -> str:
    seeds = ", ".join(str(s) for s in meta["seeds"])
    threads = meta["threads"] if meta["threads"] is not None else "unfixed"
    return (f"Measured on {meta['date']} with `{meta['command']}` "
            f"(seed{'s' if len(meta['seeds']) > 1 else ''} {seeds}, {threads} BLAS thread"
            f"{'' if meta['threads'] == 1 else 's'}, {meta['seconds']:.0f} s).\n")


def render_block(results: Dict[str, dict], lesson: str, what: str) -> str:
    """The generated text between one pair of markers."""
    if lesson not in results:
        raise KeyError(f"README marks lesson {lesson!r}, which has no results file")
    result = results[lesson]
    if result["meta"]["quick"]:
        raise ValueError(f"{lesson}: the README shows full runs, not --quick ones")
    if what == "run":
        return run_line(result["meta"])
    if what == "conclusions":
        return "".join(f"- {sentence}\n" for sentence in result["conclusions"])
    if what.startswith("table:"):
        key = what[len("table:"):]
        if key not in result["tables"]:
            raise KeyError(f"{lesson} printed no table {key!r} (it has {sorted(result['tables'])})")
        return markdown_table(result["tables"][key])
    raise ValueError(f"unknown README lesson block {what!r} for {lesson}")


def render(readme: str, results: Dict[str, dict]) -> str:
    """The README with every marked block regenerated from ``results``."""
    return BLOCK.sub(lambda m: m.group(1) + render_block(results, m.group(2), m.group(3))
                     + m.group(5), readme)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.path.join(HERE, "results"))
    parser.add_argument("--readme", default=os.path.join(os.path.dirname(HERE), "README.md"))
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the README differs from the results")
    args = parser.parse_args()
    with open(args.readme) as f:
        readme = f.read()
    updated = render(readme, load_results(args.results))
    blocks = len(BLOCK.findall(readme))
    if args.check:
        print(f"{args.readme}: {blocks} lesson blocks, "
              f"{'up to date' if updated == readme else 'OUT OF DATE (run make lessons)'}")
        return 0 if updated == readme else 1
    if updated != readme:
        with open(args.readme, "w") as f:
            f.write(updated)
    print(f"{args.readme}: {blocks} lesson blocks regenerated from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
