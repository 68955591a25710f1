"""The scale-out path: a real `chroma run` server on loopback, selected by ASSISTANT_CHROMA_URL."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from assistant.cli import main

DATA = Path(__file__).parent / "data"

# Starts a `chroma run` server per test (pyproject.toml: slow covers the Chroma server).
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "chroma run exited"
        assert time.monotonic() < deadline, "chroma server did not start"
        time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_ingest_and_ask_against_a_chroma_server(chroma_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", chroma_server)
    runner = CliRunner()
    data_dir = tmp_path / "data"
    result = runner.invoke(main, ["--data-dir", str(data_dir), "ingest", str(DATA / "corpus"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 9
    # Vectors live on the server, not in the embedded store under the data dir.
    assert not (data_dir / "chroma").exists()
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.rsplit(":", 1)[1]))
    [collection] = client.list_collections()
    assert collection.name.startswith("chunks-") and collection.count() >= 9

    answer = json.loads(runner.invoke(main, ["--data-dir", str(data_dir), "ask", "what is CBET?", "--json"]).output)
    assert not answer["abstained"]
    assert any(c["source"].endswith("cbet-certification.md") for c in answer["citations"])


def test_unreachable_server_is_a_readable_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "ingest", str(DATA / "corpus" / "notes.txt")])
    assert result.exit_code == 1
    assert "Chroma at http://127.0.0.1:" in result.output and "cannot open" in result.output
