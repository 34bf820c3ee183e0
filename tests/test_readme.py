"""The README's examples run as written, top to bottom, in a fresh copy of the example project (README.md).

The fenced ```python, ```bash, ```sh and ```console blocks of ``README.md`` run in the order they
appear, in a fresh temporary folder holding what a new user has after cloning: ``data/examples``,
``codebooks`` and ``notebooks`` (no project database, no key). ``HOME`` is a temporary folder too,
so ``~/keys/...`` in the README never touches the real home.

- Python blocks run in one namespace (a later block uses what an earlier one made), statement by
  statement. A line ending in ``# -> VALUE`` (two spaces or the end of the line after VALUE) must
  return a value whose ``repr`` is ``VALUE``.
- Shell blocks run one command at a time with ``bash`` (comment lines skipped, ``\\`` joins lines),
  with the environment's ``workbench`` first on ``PATH``; a command that exits non-zero fails.
  In a ```console block, ``$ `` starts a command and the lines after it are output the command must
  print (each line, spaces normalised; ``...`` stands for anything).
- A block preceded by ``<!-- not run: REASON -->`` (blank lines between allowed) is not run; it
  shows up here as a skipped test with the README's line and that reason.

A failure names the README line of the statement or command that failed, what it was, and what
happened, so that a README edit that breaks an example is found at once.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SHELLS = ("bash", "sh", "console")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>.*?)\s*-->")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
EXPECTED = re.compile(r"#\s*->\s*(?P<value>.+?)(?:\s{2,}.*)?$")
COMMAND_TIMEOUT = 900


@dataclass(frozen=True)
class Block:
    """A fenced block of the README: its language, the line of its opening fence, its text."""

    lang: str
    line: int
    code: str
    not_run: str | None = None

    @property
    def label(self) -> str:
        return f"README.md line {self.line} ({self.lang} block)"

    @property
    def within(self) -> str:
        return f"the {self.lang} block at line {self.line}"


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of ``text`` in order (every language), with their not-run reasons."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marker = NOT_RUN.fullmatch(lines[k].strip()) if k >= 0 else None  # the marker is a line of its own
        blocks.append(Block(m.group("lang").lower(), start + 1, "\n".join(lines[start + 1 : j]),
                            marker.group("reason") if marker else None))
        i = j + 1
    return blocks


def _runnable(blocks: list[Block]) -> list[Block]:
    return [b for b in blocks if b.lang in ("python", *SHELLS)]


BLOCKS = _runnable(readme_blocks(README.read_text(encoding="utf-8")))


def test_the_readme_has_python_and_shell_blocks_and_marks_why_some_are_not_run():
    assert [b for b in BLOCKS if b.lang == "python" and b.not_run is None], "no Python block is run"
    assert [b for b in BLOCKS if b.lang in SHELLS and b.not_run is None], "no shell block is run"
    for block in BLOCKS:
        if block.not_run is not None:
            assert block.not_run, f"{block.label}: a <!-- not run: --> marker must say why"


def test_extracting_blocks_keeps_order_lines_and_markers():
    text = "intro\n```python\nx = 1\n```\n\n<!-- not run: starts a server -->\n\n```bash\nmake app\n```\n"
    blocks = readme_blocks(text)
    assert [(b.lang, b.line, b.code, b.not_run) for b in blocks] == [
        ("python", 2, "x = 1", None),
        ("bash", 8, "make app", "starts a server"),
    ]


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.not_run is not None], ids=lambda b: f"line{b.line}")
def test_blocks_marked_not_run(block):
    pytest.skip(f"{block.label} not run: {block.not_run}")


# --- running -------------------------------------------------------------------------------
def _fresh_project(tmp: Path) -> Path:
    """What a new user has after cloning: the examples, the codebooks, the notebooks."""
    folder = tmp / "study"
    ignore = shutil.ignore_patterns("*.db", "*.db-*", "*.backup-*", ".ipynb_checkpoints", "__pycache__", "*.html")
    for name in ("data/examples", "codebooks", "notebooks"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    return folder


def _expected(line: str) -> str | None:
    m = EXPECTED.search(line)
    return m.group("value").strip() if m else None


def _run_python(block: Block, namespace: dict) -> None:
    try:
        tree = ast.parse(block.code, filename="README.md")
    except SyntaxError as exc:
        pytest.fail(f"{block.label}: not valid Python at README.md line {block.line + (exc.lineno or 0)}: {exc.msg}")
    lines = block.code.splitlines()
    ast.increment_lineno(tree, block.line)  # line numbers are the README's
    for n, stmt in enumerate(tree.body):
        at = stmt.lineno
        source = lines[at - block.line - 1].strip()
        last_on_line = n + 1 == len(tree.body) or tree.body[n + 1].lineno > (stmt.end_lineno or at)
        expected = _expected(lines[(stmt.end_lineno or at) - block.line - 1]) if last_on_line else None
        try:
            if isinstance(stmt, ast.Expr):
                value = eval(compile(ast.Expression(stmt.value), "README.md", "eval"), namespace)
            else:
                exec(compile(ast.Module([stmt], type_ignores=[]), "README.md", "exec"), namespace)
                value = None
        except Exception as exc:
            pytest.fail(f"README.md line {at} (in {block.within}): {source!r} raised {type(exc).__name__}: {exc}")
        if expected is not None and repr(value) != expected:
            pytest.fail(f"README.md line {at} (in {block.within}): {source!r} returned {value!r}; "
                        f"the README shows {expected}")


def _commands(block: Block) -> list[tuple[int, str, list[str]]]:
    """(README line, command, expected output lines) of a shell block."""
    out: list[tuple[int, str, list[str]]] = []
    lines = block.code.splitlines()
    i = 0
    while i < len(lines):
        line, at = lines[i], block.line + i + 1
        i += 1
        if block.lang == "console":
            if not line.startswith("$ "):
                if out and line.strip():
                    out[-1][2].append(line)
                continue
            line = line[2:]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.rstrip().endswith("\\") and i < len(lines):
            line = line.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
        out.append((at, line, []))
    return out


def _shows(output: str, expected: str) -> bool:
    words = " ".join(output.split())
    pattern = ".*".join(re.escape(" ".join(part.split())) for part in expected.split("..."))
    return re.search(pattern, words) is not None


def _run_shell(block: Block, cwd: Path, env: dict[str, str]) -> None:
    for at, command, shown in _commands(block):
        try:
            done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"README.md line {at} (in {block.within}): {command!r} ran longer than {COMMAND_TIMEOUT} s")
        output = done.stdout + done.stderr
        if done.returncode != 0:
            pytest.fail(f"README.md line {at} (in {block.within}): {command!r} exited {done.returncode}:\n"
                        f"{output[-3000:]}")
        for line in shown:
            if not _shows(output, line):
                pytest.fail(f"README.md line {at} (in {block.within}): {command!r} did not print {line!r}; it printed:\n"
                            f"{output[-3000:]}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_readme_runs_top_to_bottom_in_a_fresh_project(tmp_path, monkeypatch):
    folder = _fresh_project(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("WB_PROJECT", raising=False)
    monkeypatch.delenv("WB_PSEUDONYM_KEY", raising=False)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    namespace: dict = {"__name__": "__readme__"}
    ran = []
    try:
        for block in BLOCKS:
            if block.not_run is not None:
                continue
            if block.lang == "python":
                _run_python(block, namespace)
            else:
                _run_shell(block, folder, env)
            ran.append(block.line)
    finally:
        project = namespace.get("project")
        if project is not None and hasattr(project, "close"):
            project.close()
    assert ran == [b.line for b in BLOCKS if b.not_run is None]
    # personal data went where git does not look
    assert not list(folder.glob("*.csv")), "a raw export was written into the project's root"
