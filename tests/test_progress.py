"""The progress bar: on a terminal for large scans, silent everywhere else."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from analyzer.pipeline.progress import MIN_FILES, Bar
from tests.conftest import REPO, write_tree

pty = pytest.importorskip("pty")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run_with_stderr_on_a_pty(*args: str | Path) -> tuple[int, str, str]:
    """The real CLI with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1", "TERM": "xterm"}
    env.pop("GITHUB_STEP_SUMMARY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "analyzer", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO once the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    return write_tree(root, {f"notes/n{i:03d}.txt": "ok\n" for i in range(MIN_FILES + 20)})


def test_a_large_scan_on_a_terminal_shows_a_bar_and_erases_it(big: Path) -> None:
    code, out, term = _run_with_stderr_on_a_pty("scan", big, "--format", "json", "--no-cache")
    assert code == 0, term
    assert f"{MIN_FILES + 20}/{MIN_FILES + 20} files" in term and "100%" in term
    assert term.endswith("\r\x1b[K")  # erased: the terminal is left clean
    assert out.startswith("{")  # the report itself is untouched


def test_github_format_never_shows_a_bar(big: Path) -> None:
    code, _, term = _run_with_stderr_on_a_pty("scan", big, "--format", "github", "--no-cache")
    assert code == 0 and "files" not in term


def test_silent_when_stderr_is_not_a_terminal(big: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "analyzer", "scan", str(big), "--format", "json"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == b""


def test_silent_for_a_small_scan_even_on_a_terminal() -> None:
    stream = _Terminal()
    with Bar.maybe(True, stream) as bar:
        assert bar is not None
        bar.start(MIN_FILES - 1)
        for _ in range(MIN_FILES - 1):
            bar.advance()
    assert stream.getvalue() == ""


def test_bar_counts_up_to_the_total_and_erases_itself() -> None:
    stream = _Terminal()
    with Bar.maybe(True, stream) as bar:
        assert bar is not None
        bar.start(500)
        for _ in range(500):
            bar.advance()
        assert "500/500 files" in stream.getvalue()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_not_asked_for_or_not_a_terminal_means_no_bar() -> None:
    with Bar.maybe(False, _Terminal()) as bar:
        assert bar is None
    with Bar.maybe(True, io.StringIO()) as bar:
        assert bar is None
