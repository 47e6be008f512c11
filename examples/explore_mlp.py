"""Watch backpropagation through a small MLP: write its explorer page, and take a screenshot of it.

    python examples/explore_mlp.py [--out DIR] [--screenshot PNG] [--seed N]

The model classifies points of the plane into three classes: 2 -> 8 -> 8 -> 3, tanh, and a
cross-entropy loss over one batch of 16 points. ``minidl.viz.explore`` writes the page (one HTML
file: open it in any browser); ``--screenshot`` also draws it into a PNG with headless Chromium,
stopped at one step of the backward pass with a parameter's details open (``make
explorer-screenshot`` makes the README's picture this way).

Read next: ``minidl/explorer.py``, which collects what the page shows.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minidl  # noqa: E402
import minidl.nn.functional as F  # noqa: E402
from minidl import nn, viz  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default=os.path.join("runs", "explore_mlp"),
                    help="folder for the page (default: runs/explore_mlp)")
parser.add_argument("--screenshot", default=None, metavar="PNG",
                    help="also write a screenshot of the page (needs chromium)")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
STEP = 4  # the screenshot stops after this many steps of the backward pass
WINDOW = "1600,860"

# ----------------------------------------------------------------------------- the model
minidl.manual_seed(args.seed)
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
x = minidl.randn(16, 2)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()  # class 0, 1 or 2: how many coordinates > 0
loss = F.cross_entropy(model(x), y)

# ----------------------------------------------------------------------------- the page
os.makedirs(args.out, exist_ok=True)
page = viz.explore(loss, model)  # the model names the parameters and the boxes
path = Path(page.save(Path(args.out) / "mlp.html")).resolve()
print(f"wrote {path}: {len(page.data['nodes'])} nodes, {len(page.data['steps'])} backward steps")

# ----------------------------------------------------------------------------- the picture
if args.screenshot:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("--screenshot needs chromium (Debian: apt-get install chromium)")
    shown = next(n["id"] for n in page.data["nodes"] if n["name"] == "2.weight")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        "--hide-scrollbars", f"--window-size={WINDOW}",
                        f"--screenshot={Path(args.screenshot).resolve()}",
                        f"{path.as_uri()}#step={STEP}&select={shown}"],
                       check=True, timeout=120, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    print(f"wrote {args.screenshot}")
