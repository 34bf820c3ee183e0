"""The README's promises: two set-up commands, CI runs the README's test command, and
conda's environment.yml lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import workbench as wb

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _readme_setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.strip().splitlines() if line.strip()]


def test_readme_has_exactly_two_setup_commands_that_make_knows():
    commands = _readme_setup_commands()
    assert commands == ["make lab", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for command in commands:
        target = command.split()[1]
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no target {target!r}"
    # the lab target opens the coding notebook, which exists
    assert "notebooks/01_code_threads.ipynb" in makefile


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _readme_setup_commands()[1]
    lines = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert test_command in lines
    # and nothing else of the project's: only Debian packages CI's bare machine lacks
    installs = [ln for ln in lines if "install" in ln]
    assert all(ln.startswith("apt-get") or ln.startswith("echo") for ln in installs), installs


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {_name(r) for r in pip if not r.startswith("-e")}
    assert listed == wanted, f"only in pyproject: {wanted - listed}; only in environment.yml: {listed - wanted}"
    # and the same version floors
    floors = {_name(r): r.split(">=", 1)[1] for r in project["dependencies"] if ">=" in r}
    env_floors = {_name(r): r.split(">=", 1)[1] for r in pip if ">=" in r}
    for name, floor in floors.items():
        assert env_floors.get(name) == floor, f"{name}: pyproject wants >={floor}, environment.yml {env_floors.get(name)}"
    py = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert py.split(">=")[1] == project["requires-python"].split(">=")[1]


def test_public_api_is_explicit():
    for name in wb.__all__:
        assert hasattr(wb, name), name
    assert "open_project" in wb.__all__ and "Codebook" in wb.__all__


def test_examples_are_copies_inside_the_repo():
    files = sorted(p.name for p in (ROOT / "data" / "examples").glob("*.txt"))
    assert len(files) >= 3
    for path in (ROOT / "workbench").rglob("*.py"):
        assert "../shared" not in path.read_text(), f"{path} reads ../shared at run time"
