"""The command line, through click's runner: contracts of DESIGN.md, exit codes, readable errors."""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A data dir with the fixture corpus ingested through the CLI (real model)."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "ingest", str(DATA / "corpus"), "--json"])
    assert result.exit_code == 0, result.output
    return data_dir, json.loads(result.output)


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_ingest_json_contract(indexed):
    _, report = indexed
    assert set(report) == {"added", "updated", "unchanged", "removed", "chunks_embedded", "failed"}
    assert report["added"] == 9 and report["failed"] == []


def test_reingest_is_idempotent_and_data_dir_works_after_the_command(indexed):
    data_dir, _ = indexed
    result = run("ingest", str(DATA / "corpus"), "--json", "--data-dir", str(data_dir))
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert (report["added"], report["unchanged"], report["chunks_embedded"]) == (0, 9, 0)


def test_ingest_with_bad_files_exits_1_and_names_each(tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(DATA / "bad", folder)
    shutil.copy(DATA / "corpus" / "notes.txt", folder)
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(folder), "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["added"] == 1
    failed = {Path(f["path"]).name: f["error"] for f in report["failed"]}
    assert set(failed) == {"corrupt.pdf", "junk.txt", "latin1.md", "empty.md", "broken-front-matter.md"}
    assert all("\n" not in e for e in failed.values())


def test_ingest_text_output_lists_failures(tmp_path):
    result = run("--data-dir", str(tmp_path / "d"), "ingest", str(DATA / "bad" / "empty.md"))
    assert result.exit_code == 1
    assert "empty.md: file is empty" in result.output
    assert "0 added" in result.output


def test_ask_json_contract(indexed):
    data_dir, _ = indexed
    result = run("--data-dir", str(data_dir), "ask", "what does a CBET certification show?", "--json",
                 "--profile", "student", "--k", "3")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) == {"question", "answer", "abstained", "citations", "timings_ms"}
    assert answer["abstained"] is False
    citation = answer["citations"][0]
    assert set(citation) == {"n", "title", "source", "doc_type", "snippet", "published"}
    assert citation["source"].endswith("cbet-certification.md")


def test_ask_where_filters_and_stdin_json_lines(indexed):
    data_dir, _ = indexed
    result = run("--data-dir", str(data_dir), "ask", "-", "--where", "jurisdiction=MA",
                 input="workforce grants\n\nwhat about training partnerships\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 2
    for answer in lines:
        assert all(c["source"].endswith("ma-programs.md") for c in answer["citations"])


def test_ask_text_output_lists_sources(indexed):
    data_dir, _ = indexed
    result = run("--data-dir", str(data_dir), "ask", "how do I apply for WIOA training?")
    assert result.exit_code == 0
    assert "Sources:" in result.output and "[1] WIOA training accounts" in result.output


def test_ask_before_ingest_says_what_to_run(tmp_path):
    result = run("--data-dir", str(tmp_path / "empty"), "ask", "anything")
    assert result.exit_code == 1
    assert "nothing is indexed yet" in result.output and "assistant ingest corpus/" in result.output
    assert "Traceback" not in result.output


def test_bad_where_is_one_line_error(indexed):
    data_dir, _ = indexed
    result = run("--data-dir", str(data_dir), "ask", "x", "--where", "colour=red")
    assert result.exit_code == 1 and "unknown key 'colour'" in result.output


def test_status_json_contract(indexed):
    data_dir, _ = indexed
    result = run("--data-dir", str(data_dir), "status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert {"documents", "chunks", "embedding_model", "llm", "feeds"} <= set(status)
    assert status["documents"] == 9 and status["chunks"] >= 9
    assert status["embedding_model"] == "all-MiniLM-L6-v2" and status["llm"].startswith("extractive")


def test_data_dir_from_environment(indexed, monkeypatch):
    data_dir, _ = indexed
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    result = run("status", "--json")
    assert json.loads(result.output)["documents"] == 9


def test_bad_setting_is_a_readable_error(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "many")
    result = run("status")
    assert result.exit_code != 0 and "ASSISTANT_TOP_K: 'many' is not a valid int" in result.output


def test_python_dash_m_entry_point(indexed):
    import subprocess
    import sys

    data_dir, _ = indexed
    out = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", str(data_dir), "status", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["documents"] == 9
