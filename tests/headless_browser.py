"""A headless Chromium driven over the DevTools protocol, for tests that use a page as a person
would: open it, click, read what it shows, take a screenshot.

    with Browser() as browser:
        browser.open(path)                     # waits until the page says it is ready
        browser.click('[data-node="n3"]')      # a real mouse click at the element's centre
        browser.evaluate("document.title")
        browser.screenshot(png_path)
        browser.errors, browser.requests       # console errors; every URL the page asked for

Chromium speaks the protocol over two pipes (``--remote-debugging-pipe``: it reads commands
on file descriptor 3 and writes replies and events on 4, each message JSON ending in a NUL
byte), so no websocket library and no network port are involved. Every wait has a deadline,
and the browser and its profile directory are removed on exit.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, List, Optional

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
INSTALL_HINT = "chromium is not installed (Debian: apt-get install chromium; .ci/run does)"


class BrowserError(RuntimeError):
    """The browser failed, timed out, or a script in the page raised."""


class Browser:
    def __init__(self, width: int = 1400, height: int = 860, timeout: float = 30.0):
        if CHROMIUM is None:
            raise BrowserError(INSTALL_HINT)
        self.width, self.height, self.timeout = width, height, timeout
        self.errors: List[str] = []  # console errors, uncaught exceptions, blocked loads
        self.requests: List[str] = []  # URLs the page requested
        self._next_id = 0
        self._buffer = b""
        self._session: Optional[str] = None

    # -- the process ----------------------------------------------------------------------
    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="minidl-chromium-")
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def pipes_as_3_and_4():  # in the child, before exec: the fds Chromium expects
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--remote-debugging-pipe", f"--user-data-dir={self._profile}", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--mute-audio",
             f"--window-size={self.width},{self.height}", "about:blank"],
            preexec_fn=pipes_as_3_and_4, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        try:
            targets = self.send("Target.getTargets", session=False)["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            self._session = self.send("Target.attachToTarget", {"targetId": page["targetId"],
                                                                "flatten": True},
                                      session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable")
            self.send("Emulation.setDeviceMetricsOverride", {
                "width": self.width, "height": self.height, "deviceScaleFactor": 1,
                "mobile": False})
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._process.poll() is None:
                self.send("Browser.close", session=False, timeout=5)
                self._process.wait(timeout=10)
        except (BrowserError, OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            for fd in (self._to_browser, self._from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- the protocol ---------------------------------------------------------------------
    def send(self, method: str, params: Optional[dict] = None, session: bool = True,
             timeout: Optional[float] = None) -> dict:
        """Send one command and return its result, recording the events that come first."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, left))
            if not ready:
                raise BrowserError("no answer from chromium in time")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("chromium exited")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _event(self, event: dict) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                        for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description")
                               or details.get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])

    # -- what a test does -----------------------------------------------------------------
    def open(self, path: Path, fragment: str = "",
             ready: str = "document.body.dataset.ready === 'true'") -> float:
        """Load a file (at ``#fragment``) and wait until ``ready`` is true in it; returns the
        seconds it took. Always a fresh load: the same file at another fragment would otherwise
        only scroll the page it is already showing."""
        self.send("Page.navigate", {"url": "about:blank"})
        deadline = time.monotonic() + self.timeout
        while self.evaluate("location.href") != "about:blank":
            if time.monotonic() > deadline:
                raise BrowserError("about:blank did not load in time")
            time.sleep(0.01)
        start = time.monotonic()
        self.send("Page.navigate", {"url": Path(path).resolve().as_uri() + fragment})
        while not self.evaluate(f"document.readyState === 'complete' && ({ready})"):
            if time.monotonic() - start > self.timeout:
                raise BrowserError(f"{path} was not ready after {self.timeout} s")
            time.sleep(0.02)
        return time.monotonic() - start

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able values only)."""
        result = self.send("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """Press and release the left mouse button over the centre of the element."""
        centre = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            "if (!e) return null; const r = e.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        if centre is None:
            raise BrowserError(f"nothing on the page matches {selector}")
        x, y = centre
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    KEY_CODES = {"ArrowLeft": 37, "ArrowRight": 39, "Home": 36, "End": 35, "Escape": 27}

    def press(self, key: str) -> None:
        """Press and release a key (one of ``KEY_CODES``) in the page."""
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": key,
                                                 "windowsVirtualKeyCode": self.KEY_CODES[key]})

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
