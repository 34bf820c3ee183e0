"""The ``workbench`` command (workbench/cli/): in-process through ``main`` and as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import workbench as wb
from workbench import cli
from workbench.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "data" / "examples"
CODEBOOK = ROOT / "codebooks" / "response-types.yaml"
BAD_CODEBOOK = ROOT / "tests" / "fixtures" / "codebook" / "several_problems.yaml"
EXPECTED_UNITS = {
    "essay_bridging_the_divide.txt": 1,
    "twitter_unrolled_thread.txt": 13,
    "wordpress_not_all_like_that.txt": 42,
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "project.db")


@pytest.fixture
def imported(db, capsys) -> str:
    code, _, err = run(capsys, "--project", db, "import", *map(str, sorted(EXAMPLES.glob("*.txt"))))
    assert code == 0, err
    return db


@pytest.fixture
def coded(imported) -> str:
    """The example threads coded by two coders who agree on most units (scripted, not real work)."""
    with wb.open_project(imported) as project:
        project.add_codebook(wb.Codebook.from_yaml(CODEBOOK), note="test")
        units = project.units(codable=True)
        ids = units["unit_id"].tolist()[:20]
        for coder in ("alice", "bob"):
            project.add_coder(coder)
        for i, uid in enumerate(ids):
            project.code(uid, ["validating" if i % 2 else "defensive"], coder="alice")
            bob = "systemic-deflection" if i % 5 == 0 else ("validating" if i % 2 else "defensive")
            project.code(uid, [bob], coder="bob")
    return imported


# --- the command as a process -----------------------------------------------------------------
def test_console_script_help_runs_as_a_process():
    exe = Path(sys.executable).with_name("workbench")
    if not exe.exists():
        pytest.skip(f"the console script is not installed beside {sys.executable} (pip install -e .)")
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("import", "codebook", "agreement", "export", "report", "app"):
        assert name in done.stdout
    assert "exit codes" in done.stdout


def test_python_m_workbench_cli_exit_codes_cross_the_process_boundary(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run([sys.executable, "-m", "workbench.cli", "codebook", "check", str(CODEBOOK)],
                        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "ok (8 codes in 2 groups)" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "workbench", "codebook", "check", str(BAD_CODEBOOK)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert bad.returncode == 1
    assert f"{BAD_CODEBOOK}:5: code 'validating', field 'definition': empty definition" in bad.stdout


@pytest.mark.parametrize("command", [c.split() for c in COMMANDS] + [["codebook"]])
def test_every_command_has_help(capsys, command):
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert out.startswith(f"usage: workbench {' '.join(command)}")
    assert "%%" not in out, "a help text shows '%%': argparse formats '%' only in arguments' help strings"


def test_agreement_help_says_95_percent_once(capsys):
    _, out, _ = run(capsys, "agreement", "--help")
    assert "with 95% bootstrap" in " ".join(out.split())


def test_usage_errors_exit_2(capsys):
    assert run(capsys)[0] == 2  # no command
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "agreement", "--measure", "nonsense")
    assert code == 2 and "alpha" in err


# --- import -----------------------------------------------------------------------------------
def test_import_examples_counts(db, capsys):
    files = sorted(EXAMPLES.glob("*.txt"))
    code, out, err = run(capsys, "--project", db, "import", *map(str, files))
    assert code == 0, err
    for name, n in EXPECTED_UNITS.items():
        assert re.search(rf"^{re.escape(name)} \([\w-]+\): {n} units read, {n} new, 0 record\(s\) rejected$", out, re.M)
    assert "project " + db + ": 56 units in 3 thread(s)" in out
    with wb.open_project(db) as project:
        assert project.n_units() == 56
        assert set(project.sources()["file_name"]) == set(EXPECTED_UNITS)
    # importing again adds nothing and still succeeds
    code, out, _ = run(capsys, "import", str(files[0]), "--project", db)
    assert code == 0
    assert "0 new (already in the project)" in out


def test_import_reports_rejected_records_and_exits_1(tmp_path, db, capsys):
    table = tmp_path / "comments.jsonl"
    table.write_text(
        '{"id": "1", "author": "A", "text": "first"}\n'
        "{this is not json}\n"
        '{"id": "2", "parent": "1", "author": "B", "text": "second"}\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "import", "--project", db, str(table))
    assert code == 1, err
    assert "2 units read, 2 new, 1 record(s) rejected" in out
    assert re.search(r"rejected: comments\.jsonl, line 2.*", out)
    # --strict: the file is refused as a whole, nothing added
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "9", "author": "C", "text": "x"}\n{broken\n', encoding="utf-8")
    code, out, err = run(capsys, "import", "--project", db, "--strict", str(other))
    assert code == 1
    assert "--strict: nothing was imported from other.jsonl" in err
    with wb.open_project(db) as project:
        assert "9" not in set(project.units()["unit_id"])


def test_import_missing_or_unreadable_input_exits_2(tmp_path, db, capsys):
    code, _, err = run(capsys, "import", "--project", db, str(tmp_path / "nope.txt"))
    assert code == 2 and "no thread file at" in err
    assert not Path(db).exists(), "a missing input must not create a project"
    code, _, err = run(capsys, "import", "--project", db, str(tmp_path))
    assert code == 2 and "is a folder" in err
    weird = tmp_path / "weird.json"
    weird.write_text('{"hello": "world"}', encoding="utf-8")
    code, _, err = run(capsys, "import", "--project", db, str(weird))
    assert code == 1 and "weird.json" in err and "not recognised" in err  # a file rejected: the import goes on
    code, _, err = run(capsys, "import", "--project", db, "--format", "myspace", str(weird))
    assert code == 2 and "wordpress-text" in err


def test_store_error_exits_3(tmp_path, capsys):
    bogus = tmp_path / "not-a-database.db"
    bogus.write_bytes(b"this is not SQLite" * 100)
    code, _, err = run(capsys, "--project", str(bogus), "import", str(EXAMPLES / "essay_bridging_the_divide.txt"))
    assert code == 3, err
    assert "workbench: error:" in err


def test_missing_project_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "agreement", "--project", str(tmp_path / "none.db"))
    assert code == 2 and "no project at" in err
    assert not (tmp_path / "none.db").exists()


def test_project_from_environment(tmp_path, monkeypatch, capsys):
    db = tmp_path / "env.db"
    monkeypatch.setenv("WB_PROJECT", str(db))
    code, out, _ = run(capsys, "import", str(EXAMPLES / "essay_bridging_the_divide.txt"))
    assert code == 0 and db.exists()


# --- codebook ---------------------------------------------------------------------------------
def test_codebook_check_valid_and_invalid(capsys):
    code, out, _ = run(capsys, "codebook", "check", str(CODEBOOK))
    assert code == 0
    assert out.strip() == f"{CODEBOOK}: ok (8 codes in 2 groups)"
    code, out, _ = run(capsys, "codebook", "check", str(CODEBOOK), str(BAD_CODEBOOK))
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[1] == (f"{BAD_CODEBOOK}:5: code 'validating', field 'definition': empty definition: say what "
                        "the code means, so that two coders apply it alike")
    assert lines[2].startswith(f"{BAD_CODEBOOK}:9: code 'defensive', field 'color': invalid colour '#12345'")
    assert lines[3] == f"{BAD_CODEBOOK}: 2 problem(s)"


def test_codebook_check_yaml_syntax_error_and_missing_file(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ncodes:\n  - name: a\n    label: [unclosed\n", encoding="utf-8")
    code, out, _ = run(capsys, "codebook", "check", str(broken))
    assert code == 1 and str(broken) in out
    code, _, err = run(capsys, "codebook", "check", str(tmp_path / "none.yaml"))
    assert code == 2 and "no codebook file at" in err


def _edited_codebook(tmp_path) -> Path:
    text = CODEBOOK.read_text(encoding="utf-8").replace("label: Validating", "label: Believing", 1)
    new = tmp_path / "new.yaml"
    new.write_text(text, encoding="utf-8")
    return new


def test_codebook_diff_files(tmp_path, capsys):
    new = _edited_codebook(tmp_path)
    code, out, _ = run(capsys, "codebook", "diff", str(CODEBOOK), str(new))
    assert code == 0
    assert "changed: validating.label: 'Validating' -> 'Believing'" in out
    code, out, _ = run(capsys, "codebook", "diff", "--exit-code", str(CODEBOOK), str(new))
    assert code == 1
    code, out, _ = run(capsys, "codebook", "diff", "--exit-code", str(CODEBOOK), str(CODEBOOK))
    assert code == 0 and "no differences" in out
    code, out, _ = run(capsys, "codebook", "diff", "--format", "csv", str(CODEBOOK), str(new))
    assert out.splitlines()[0] == "code,change,field,old,new"
    assert "validating,changed,label,Validating,Believing" in out


def test_codebook_diff_project_versions(tmp_path, db, capsys):
    with wb.open_project(db) as project:
        project.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
        project.add_codebook(wb.Codebook.from_yaml(_edited_codebook(tmp_path)))
    code, out, _ = run(capsys, "codebook", "diff", "--project", db, "1", "2")
    assert code == 0
    assert "--- version 1" in out and "validating.label" in out
    code, _, err = run(capsys, "codebook", "diff", "--project", db, "1", "7")
    assert code == 2 and "no codebook version 7" in err


@pytest.mark.parametrize("suffix, needle", [(".qdc", "<CodeBook"), (".md", "Validating"), (".html", "<table"),
                                            (".yaml", "name: response-types")])
def test_codebook_export_file(tmp_path, capsys, suffix, needle):
    target = tmp_path / f"out{suffix}"
    code, out, err = run(capsys, "codebook", "export", str(CODEBOOK), "-o", str(target))
    assert code == 0, err
    assert needle in target.read_text(encoding="utf-8")
    assert f"wrote {target}" in out


def test_codebook_export_round_trips_through_qdc(tmp_path, capsys):
    target = tmp_path / "book.qdc"
    assert run(capsys, "codebook", "export", str(CODEBOOK), "-o", str(target))[0] == 0
    again = wb.interchange.read_qdc(target)
    assert again.names == wb.Codebook.from_yaml(CODEBOOK).names


def test_codebook_export_version_and_errors(tmp_path, db, capsys):
    with wb.open_project(db) as project:
        project.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
    target = tmp_path / "v1.md"
    code, _, err = run(capsys, "codebook", "export", "--project", db, "--version", "1", "-o", str(target))
    assert code == 0, err
    assert "Validating" in target.read_text(encoding="utf-8")
    code, _, err = run(capsys, "codebook", "export", "--project", db, "--version", "latest", "-o", str(target))
    assert code == 0, err
    code, _, err = run(capsys, "codebook", "export", "--project", db, "--version", "3", "-o", str(target))
    assert code == 2 and "no codebook version 3" in err
    code, _, err = run(capsys, "codebook", "export", str(CODEBOOK), "-o", str(tmp_path / "x.docx"))
    assert code == 2 and ".qdc" in err
    code, _, err = run(capsys, "codebook", "export", "-o", str(target))
    assert code == 2 and "either a FILE or --version N" in err
    code, _, err = run(capsys, "codebook", "export", str(BAD_CODEBOOK), "-o", str(target))
    assert code == 1 and "empty definition" in err


# --- agreement --------------------------------------------------------------------------------
def test_agreement_two_coders(coded, capsys):
    code, out, err = run(capsys, "agreement", "--project", coded, "--format", "csv", "--n-boot", "50")
    assert code == 0, err
    table = pd.read_csv(__import__("io").StringIO(out))
    assert list(table.columns) == ["code", "measure", "value", "ci_low", "ci_high", "n_units", "n_coders",
                                   "n_pairable", "interpretation"]
    overall = table[table["code"] == "(overall)"].iloc[0]
    assert overall["n_units"] == 20 and overall["n_pairable"] == 20 and overall["n_coders"] == 2
    assert 0 < overall["value"] < 1  # they disagree on 4 of 20 units
    assert overall["ci_low"] <= overall["value"] <= overall["ci_high"]
    assert {"validating", "defensive", "systemic-deflection", "group:stance"} <= set(table["code"])
    # the same figures as the Python API
    with wb.open_project(coded) as project:
        expected = project.agreement(n_boot=50)
    assert overall["value"] == pytest.approx(expected.loc[expected["code"] == "(overall)", "value"].iloc[0])


def test_agreement_formats_measures_and_threshold(coded, capsys):
    code, out, _ = run(capsys, "agreement", "--project", coded, "--no-ci", "--measure", "alpha", "percent_agreement",
                       "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["measure"] for r in rows} == {"alpha", "percent_agreement"}
    code, out, _ = run(capsys, "agreement", "--project", coded, "--no-ci")
    assert code == 0 and "(overall)" in out and "interpretation" in out
    code, _, err = run(capsys, "agreement", "--project", coded, "--no-ci", "--fail-under", "0.99")
    assert code == 1 and "below --fail-under 0.99" in err
    assert run(capsys, "agreement", "--project", coded, "--no-ci", "--fail-under", "0.1")[0] == 0
    code, _, err = run(capsys, "agreement", "--project", coded, "--round", "no-such-round")
    assert code == 2 and "no-such-round" in err


def test_a_round_is_named_by_name_or_by_id(coded, capsys):
    with wb.open_project(coded) as project:
        units = project.units(codable=True)["unit_id"].tolist()[:20]
        project.new_round("pilot", units=units, coders=["alice", "bob"], seed=1)
        for i, uid in enumerate(units):
            project.code(uid, ["defensive"], coder="alice", round="pilot")
            project.code(uid, ["defensive" if i % 4 else "validating"], coder="bob", round="pilot")
    by_name = run(capsys, "agreement", "--project", coded, "--no-ci", "--round", "pilot", "--format", "json")
    by_id = run(capsys, "agreement", "--project", coded, "--no-ci", "--round-id", "1", "--format", "json")
    assert by_name[0] == by_id[0] == 0 and json.loads(by_name[1]) == json.loads(by_id[1])
    code, _, err = run(capsys, "agreement", "--project", coded, "--round", "1")
    assert code == 2 and "round '1' does not exist" in err
    assert "--round takes a name; for the round with id 1 use --round-id 1" in err
    code, _, err = run(capsys, "agreement", "--project", coded, "--round", "pilot", "--round-id", "1")
    assert code == 2 and "not both" in err
    code, out, _ = run(capsys, "app", "--project", coded, "--round-id", "1", "--dry-run")
    assert code == 0 and "WB_ROUND=pilot " in out


def test_agreement_without_codings_exits_1(imported, capsys):
    code, _, err = run(capsys, "agreement", "--project", imported)
    assert code == 1 and "no codings" in err


# --- export -----------------------------------------------------------------------------------
@pytest.fixture
def keys(tmp_path_factory) -> Path:
    """A folder for key files, apart from the project's folder (the one rule for keys)."""
    return tmp_path_factory.mktemp("keys")


def test_export_csv_pseudonymised(coded, tmp_path, keys, capsys):
    target = tmp_path / "out" / "codings.csv"
    key = keys / "study.key.json"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(target))
    assert code == 2 and "--key KEYFILE" in err  # a raw project needs its key
    code, out, err = run(capsys, "export", "--project", coded, "-o", str(target), "--key", str(key), "--new-key")
    assert code == 0, err
    assert key.exists() and "pseudonymised" in out
    df = pd.read_csv(target, encoding="utf-8-sig")
    assert "author" not in df.columns and "author_pseudonym" in df.columns
    coded_rows = df.dropna(subset=["code"])
    assert len(coded_rows) == 40 and set(coded_rows["coder"]) == {"alice", "bob"}
    assert df["unit_id"].nunique() == 56
    assert "crys_tom" not in set(df["author_pseudonym"].dropna())
    # raw export: real names, with the key as proof
    raw = tmp_path / "raw.csv"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(raw), "--raw")
    assert code == 2 and "--key" in err
    code, out, err = run(capsys, "export", "--project", coded, "-o", str(raw), "--raw", "--key", str(key))
    assert code == 0, err
    assert "crys_tom" in set(pd.read_csv(raw, encoding="utf-8-sig")["author"])


def test_a_raw_export_named_without_a_folder_goes_under_exports_which_git_ignores(coded, tmp_path, keys, capsys,
                                                                                 monkeypatch):
    key = keys / "study.key.json"
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "export", "--project", coded, "-o", "codings.csv", "--key", str(key), "--new-key")
    assert code == 0, err
    assert (tmp_path / "codings.csv").exists()  # pseudonymised: where it was asked for
    code, out, err = run(capsys, "export", "--project", coded, "-o", "raw.csv", "--raw", "--key", str(key))
    assert code == 0, err
    assert not (tmp_path / "raw.csv").exists()
    written = tmp_path / "exports" / "raw.csv"
    assert "crys_tom" in set(pd.read_csv(written, encoding="utf-8-sig")["author"])
    assert f"wrote {Path('exports') / 'raw.csv'}" in out
    # the repository's .gitignore covers that folder
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "exports/" in lines
    done = subprocess.run(["git", "check-ignore", "-q", "exports/raw.csv"], cwd=ROOT, timeout=60)
    assert done.returncode == 0, "the repository's .gitignore does not cover exports/raw.csv"


def test_export_units_only_xlsx_and_qdpx(coded, tmp_path, keys, capsys):
    key = keys / "k.json"
    xlsx = tmp_path / "units.xlsx"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(xlsx), "--units-only", "--key", str(key),
                       "--new-key")
    assert code == 0, err
    assert len(pd.read_excel(xlsx, sheet_name="units")) == 56
    qdpx = tmp_path / "p.qdpx"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(qdpx), "--key", str(key))
    assert code == 0, err
    assert qdpx.stat().st_size > 0
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(tmp_path / "x.pdf"), "--key", str(key))
    assert code == 2 and ".qdpx" in err
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(tmp_path / "x.csv"), "--key",
                       str(keys / "missing.json"))
    assert code == 2 and "--new-key" in err


def _files(*folders: Path) -> set[Path]:
    return {p for f in folders for p in f.rglob("*") if p.is_file()}


def test_a_key_inside_the_project_folder_is_refused_everywhere(coded, tmp_path, keys, capsys):
    """One rule for export --new-key, export --key and report --key: never beside the project."""
    before = _files(tmp_path)
    inside = tmp_path / "keys" / "study.key.json"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(keys / "c.csv"), "--key", str(inside),
                       "--new-key")
    assert code == 2 and "inside the project folder" in err and "allow_near_project" not in err
    assert not inside.exists() and not (keys / "c.csv").exists() and _files(tmp_path) == before
    elsewhere = wb.PseudonymKey().save(keys / "k.json")
    beside = Path(coded).parent / "k.json"
    beside.write_bytes(elsewhere.read_bytes())
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(keys / "c.csv"), "--key", str(beside))
    assert code == 2 and "inside the project folder" in err and not (keys / "c.csv").exists()
    nb = keys / "n.ipynb"
    nb.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, _, err = run(capsys, "report", str(nb), "--project", coded, "--key", str(inside), "--no-execute",
                       "--protect-project")
    assert code == 2 and "inside the project folder" in err and not inside.exists()


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[" * 100_000 + b"]" * 100_000,
                                     json.dumps({"format": "workbench-pseudonym-key", "version": 1, "scheme": "numbered",
                                                 "width": [3], "secret": "ab" * 32}).encode()])
def test_a_broken_key_file_exits_2_with_a_message(coded, keys, capsys, content):
    broken = keys / "broken.json"
    broken.write_bytes(content)
    broken.chmod(0o600)
    out = keys / "c.csv"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(out), "--key", str(broken))
    assert code == 2, err
    assert "Traceback" not in err and str(broken) in err and "pseudonym key" in err
    assert not out.exists()


def test_report_refuses_a_broken_key_before_running(coded, keys, capsys):
    broken = keys / "broken.json"
    broken.write_text("{ not a key")
    nb = keys / "n.ipynb"
    nb.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    code, _, err = run(capsys, "report", str(nb), "--project", coded, "--key", str(broken))
    assert code == 2 and str(broken) in err and "not valid JSON" in err and "Traceback" not in err
    assert not nb.with_suffix(".html").exists()


def test_a_wrong_or_failing_new_key_leaves_no_file(coded, keys, capsys):
    study = keys / "study.json"
    assert run(capsys, "export", "--project", coded, "-o", str(keys / "a.csv"), "--key", str(study), "--new-key")[0] == 0
    # the project is bound to study.json: a new key would be the wrong one
    stray, out = keys / "stray.json", keys / "b.csv"
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(out), "--key", str(stray), "--new-key")
    assert code == 2 and "bound to the pseudonym key" in err
    assert not stray.exists() and not out.exists()


def test_a_failing_export_creates_no_file(imported, keys, capsys, tmp_path):
    key, out = keys / "new.json", keys / "c.qdpx"
    before = _files(keys, tmp_path)
    code, _, err = run(capsys, "export", "--project", imported, "-o", str(out), "--key", str(key), "--new-key",
                       "--round", "no-such-round")
    assert code == 2 and "Traceback" not in err
    assert _files(keys, tmp_path) == before  # neither the key, nor the export, nor a temporary file


def test_new_key_goes_to_the_configuration_folder_by_default(coded, tmp_path, monkeypatch, capsys):
    config = tmp_path.parent / (tmp_path.name + "-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("WB_KEY_DIR", raising=False)
    code, _, err = run(capsys, "export", "--project", coded, "-o", str(tmp_path / "c.csv"), "--new-key")
    assert code == 0, err
    made = list((config / "workbench" / "keys").glob("project-*.key.json"))
    assert len(made) == 1 and str(made[0]) in err
    assert oct(made[0].stat().st_mode & 0o777) == "0o600"
    assert made[0] == wb.privacy.default_key_path(coded)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".qdpx"])
def test_raw_outputs_are_private_and_safe_ones_are_not(coded, tmp_path, keys, capsys, suffix):
    key = keys / "k.json"
    safe, raw = tmp_path / f"safe{suffix}", tmp_path / f"raw{suffix}"
    assert run(capsys, "export", "--project", coded, "-o", str(safe), "--key", str(key), "--new-key")[0] == 0
    assert run(capsys, "export", "--project", coded, "-o", str(raw), "--key", str(key), "--raw")[0] == 0
    assert oct(raw.stat().st_mode & 0o777) == "0o600"
    mask = os.umask(0)
    os.umask(mask)
    assert oct(safe.stat().st_mode & 0o777) == oct(0o666 & ~mask)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


# --- report and app ---------------------------------------------------------------------------
def test_report_errors_are_clear(tmp_path, capsys):
    code, _, err = run(capsys, "report", str(tmp_path / "none.ipynb"))
    assert code == 2 and "no notebook at" in err
    text = tmp_path / "notes.txt"
    text.write_text("x")
    code, _, err = run(capsys, "report", str(text))
    assert code == 2 and "not a Jupyter notebook" in err


def test_report_calls_publish(tmp_path, capsys, monkeypatch):
    import types

    calls = []

    def publish(notebook, output):
        calls.append((Path(notebook), Path(output)))
        Path(output).write_text("<html></html>")
        return Path(output)

    fake = types.ModuleType("workbench.report.publish")
    fake.publish = publish
    monkeypatch.setitem(sys.modules, "workbench.report.publish", fake)
    if "workbench.report" not in sys.modules:
        monkeypatch.setitem(sys.modules, "workbench.report", types.ModuleType("workbench.report"))
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    code, out, err = run(capsys, "report", str(nb), "-o", str(tmp_path / "a.html"))
    assert code == 0, err
    assert calls == [(nb, tmp_path / "a.html")]
    assert f"wrote {tmp_path / 'a.html'}" in out


def test_report_without_publisher_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "workbench.report.publish", None)  # import fails
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    code, _, err = run(capsys, "report", str(nb))
    assert code == 2 and "publishing is not available" in err


def test_app_dry_run_prints_the_voila_command(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    db = tmp_path / "p.db"
    code, out, _ = run(capsys, "app", "--project", str(db), "--port", "9123", "--round", "pilot", "--dry-run")
    assert code == 0
    line = out.strip()
    assert line.startswith(f"WB_PROJECT={db} WB_ROUND=pilot ")
    assert "-m voila" in line and "notebooks/coder_app.ipynb" in line
    assert "--port=9123" in line and "--Voila.ip=127.0.0.1" in line
    assert not db.exists(), "a dry run touches nothing"
    cmd, env = cli.app_command(cli.build_parser().parse_args(["app", "--project", str(db)]))
    assert cmd[:3] == [sys.executable, "-m", "voila"] and env == {"WB_PROJECT": str(db)}
    assert run(capsys, "app", "--port", "0", "--dry-run")[0] == 2


# --- team -----------------------------------------------------------------------------------
def test_team_on_sqlite_adds_coders_with_roles(db, capsys):
    code, out, err = run(capsys, "team", "add-coder", "alice", "--project", db)
    assert code == 0 and "coder 'alice' (coder) is in the project" in out and "SQLite has no database logins" in err
    assert run(capsys, "team", "add-coder", "sam", "--role", "supervisor", "--project", db)[0] == 0
    code, _, err = run(capsys, "team", "add-coder", "ALICE", "--project", db)
    assert code == 2 and "too like the existing coder 'alice'" in err
    assert run(capsys, "team", "set-role", "alice", "--role", "supervisor", "--project", db)[0] == 0
    code, out, _ = run(capsys, "team", "list", "--format", "csv", "--project", db)
    assert code == 0 and pd.read_csv(__import__("io").StringIO(out))[["name", "role"]].values.tolist() == [
        ["alice", "supervisor"], ["sam", "supervisor"]]
    code, _, err = run(capsys, "team", "password", "alice", "--project", db)
    assert code == 2 and "needs a PostgreSQL project" in err
    with wb.open_project(db, coder="alice") as alice:
        assert alice.role == "supervisor"


@pytest.mark.postgres
def test_team_on_postgresql_makes_logins(pg_url, capsys, monkeypatch):
    code, out, err = run(capsys, "team", "add-coder", "alice", "--project", pg_url)
    assert code == 0, err
    login = re.search(r"^database login: (wb_coder_\w+)$", out, re.M).group(1)
    password = re.search(r"^password \(shown once; give it to alice and keep it nowhere else\): (\S+)$", out, re.M).group(1)
    assert f"alice opens the project with: postgresql://{login}@" in out
    with wb.open_project(pg_url, coder="alice", password=password) as alice:
        assert (alice.coder, alice.role) == ("alice", "coder")
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("a chosen passphrase\n"))
    code, out, _ = run(capsys, "team", "password", "alice", "--password-stdin", "--project", pg_url)
    assert code == 0 and "a chosen passphrase" not in out
    with wb.open_project(pg_url, coder="alice", password="a chosen passphrase") as alice:
        assert alice.coder == "alice"
    code, out, _ = run(capsys, "team", "disable", "alice", "--project", pg_url)
    assert code == 0 and f"the login {login} of 'alice' can no longer connect" in out
    code, out, _ = run(capsys, "team", "list", "--project", pg_url)
    assert code == 0 and re.search(rf"alice\s+coder\s+{login}\s+False", out)


# --- documentation ----------------------------------------------------------------------------
def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## The workbench command\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "README.md has no '## The workbench command' section"
    return match.group(1)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented_in_the_readme(command):
    assert f"workbench {command}" in _readme_section(), f"README: document `workbench {command}`"


def test_readme_documents_the_exit_codes():
    section = _readme_section()
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^\|\s*{code}\s*\|", section, re.M), f"README: exit code {code} is not in the table"


def test_commands_list_matches_the_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    found = []
    for name, p in sub.choices.items():
        inner = [a for a in p._actions if str(getattr(a, "dest", "")).endswith("_command")]
        found += [f"{name} {n}" for n in inner[0].choices] if inner else [name]
    assert sorted(found) == sorted(COMMANDS)


def test_report_maps_publish_errors_to_exit_1(tmp_path, capsys, monkeypatch):
    import types

    class PublishError(Exception):
        pass

    def publish(notebook, output, **options):
        raise PublishError("name 'Sam' in cell 3")

    fake = types.ModuleType("workbench.report.publish")
    fake.publish = publish
    monkeypatch.setitem(sys.modules, "workbench.report.publish", fake)
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    code, _, err = run(capsys, "report", str(nb))
    assert code == 1 and "name 'Sam' in cell 3" in err and "nothing was written" in err
    code, _, err = run(capsys, "report", str(nb), "--raw")
    assert code == 2 and "--key KEYFILE" in err


def test_report_publishes_a_notebook_for_real(tmp_path, capsys):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("workbench.report.publish")
    nb = tmp_path / "findings.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Findings")]), nb)
    code, _, err = run(capsys, "report", str(nb), "--no-execute")
    assert code == 2 and "--protect-project" in err
    code, out, err = run(capsys, "report", str(nb), "-o", str(tmp_path / "f.html"))
    assert code == 0, err
    assert "Findings" in (tmp_path / "f.html").read_text(encoding="utf-8")


# --- merge and kit ----------------------------------------------------------------------------
def _supervised(path: Path) -> None:
    """A project with the example units, the codebook, alice and bob, and a round 'pilot'."""
    project = wb.open_project(path)
    for f in sorted(EXAMPLES.iterdir()):
        project.add_units(wb.load_threads(f))
    project.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
    project.add_coder("alice")
    project.add_coder("bob")
    project.new_round("pilot", sample=8, coders=["alice", "bob"], seed=3)
    project.close()


def _code_all(path: Path, coder: str) -> int:
    kit = wb.open_project(path)
    n = 0
    while (unit := kit.next_unit(coder, round="pilot")) is not None:
        kit.code(unit, ["validating" if n % 2 else "defensive"], coder=coder, round="pilot")
        n += 1
    kit.close()
    return n


def test_kit_and_merge_round_trip_with_exit_codes(tmp_path, capsys, db):
    _supervised(Path(db))
    kit = tmp_path / "alice.db"
    code, out, _ = run(capsys, "--project", db, "kit", "--coder", "alice", "--round", "pilot", "-o", str(kit))
    assert code == 0 and "8 unit(s) to code" in out and "make app" in out and f"merge {kit}" in out
    assert run(capsys, "--project", db, "kit", "--coder", "alice", "--round", "pilot", "-o", str(kit))[0] == 2
    assert not (tmp_path / "zoe.db").exists()
    code, _, err = run(capsys, "--project", db, "kit", "--coder", "zoe", "--round", "pilot", "-o", str(tmp_path / "zoe.db"))
    assert code == 2 and "zoe" in err and not (tmp_path / "zoe.db").exists()
    # the round by its id, as in the other commands; a number given to --round is a name
    bob = tmp_path / "bob.db"
    code, out, _ = run(capsys, "--project", db, "kit", "--coder", "bob", "--round-id", "1", "-o", str(bob))
    assert code == 0 and "in round 'pilot'" in out and bob.exists()
    code, _, err = run(capsys, "--project", db, "kit", "--coder", "bob", "--round", "1", "-o", str(tmp_path / "b1.db"))
    assert code == 2 and "--round-id 1" in err and not (tmp_path / "b1.db").exists()
    code, _, err = run(capsys, "--project", db, "kit", "--coder", "bob", "-o", str(tmp_path / "b2.db"))
    assert code == 2 and "--round NAME or --round-id N" in err
    assert run(capsys, "--project", db, "kit", "--coder", "bob", "--round", "pilot", "--round-id", "1", "-o",
               str(tmp_path / "b3.db"))[0] == 2
    n = _code_all(kit, "alice")
    code, out, _ = run(capsys, "--project", db, "merge", str(kit), "--dry-run")
    assert code == 0 and f"would merge {kit}: {n} events" in out
    code, out, _ = run(capsys, "--project", db, "merge", str(kit))
    assert code == 0 and f"merged {kit}: {n} events" in out
    project = wb.open_project(db)
    assert len(project.codings(coder="alice", round="pilot")) == n
    project.close()
    code, out, _ = run(capsys, "--project", db, "merge", str(kit))  # again: nothing changes
    assert code == 0 and f"0 events, 0 memos, 0 adjudications ({n} events already here)" in out
    # a kit whose unit text was edited: reported, exit 1
    import sqlite3

    with sqlite3.connect(kit) as conn:
        conn.execute("UPDATE units SET text = 'edited' WHERE codable = 1 AND unit_id = "
                     "(SELECT min(unit_id) FROM units WHERE codable = 1)")
    code, out, _ = run(capsys, "--project", db, "merge", str(kit))
    assert code == 1 and "another text" in out and "problem(s)" in out


def test_merge_asks_who_same_named_coders_are(tmp_path, capsys, db):
    _supervised(Path(db))
    other = tmp_path / "other.db"
    _supervised(other)
    project = wb.open_project(other)
    unit = project.round_units("pilot", coder="bob")[0]
    project.code(unit, ["gratitude"], coder="bob", round="pilot")
    project.close()
    code, out, err = run(capsys, "--project", db, "merge", str(other))
    assert code == 2 and "'alice' there and 'alice' here" in err and "'bob' there and 'bob' here" in err
    assert "--same-coder bob=bob" in err and "Nothing was merged" in err
    project = wb.open_project(db)
    assert project.codings().empty and project.rounds()["round"].tolist() == ["pilot"]
    project.close()
    assert run(capsys, "--project", db, "merge", str(other), "--same-coder", "=x")[0] == 2
    assert run(capsys, "--project", db, "merge", str(tmp_path / "missing.db"))[0] == 2
    assert run(capsys, "--project", db, "merge", db)[0] == 2  # not into itself
    code, out, err = run(capsys, "--project", db, "merge", str(other), "--same-coder", "bob=bob")
    assert code == 2 and "'alice' there" in err and "'bob' there" not in err  # alice is assigned there too
    code, out, _ = run(capsys, "--project", db, "merge", str(other), "--same-coder", "bob=bob", "--same-coder", "alice")
    assert code == 0 and "'bob' of" in out
    project = wb.open_project(db)
    assert project.codings()[["unit_id", "coder", "code"]].values.tolist() == [[unit, "bob", "gratitude"]]
    project.close()


def test_merge_reads_a_qdpx_export(tmp_path, capsys, db):
    _supervised(Path(db))
    project = wb.open_project(db)
    units = project.round_units("pilot")
    project.code(units[0], ["defensive"], coder="alice", round="pilot")
    project.code(units[0], ["validating"], coder="bob", round="pilot")
    wb.interchange.write_qdpx(project, tmp_path / "both.qdpx", raw=True, key=wb.PseudonymKey())
    project.close()
    fresh = tmp_path / "fresh.db"
    assert run(capsys, "--project", str(fresh), "import", *map(str, sorted(EXAMPLES.iterdir())))[0] == 0
    project = wb.open_project(fresh)
    project.add_codebook(wb.Codebook.from_yaml(CODEBOOK))
    project.close()
    code, out, _ = run(capsys, "--project", str(fresh), "merge", str(tmp_path / "both.qdpx"))
    assert code == 0 and "2 events" in out
    project = wb.open_project(fresh)
    assert sorted(project.codings()[["coder", "code"]].values.tolist()) == [["alice", "defensive"], ["bob", "validating"]]
    project.close()
