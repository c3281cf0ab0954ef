"""Hostile and clumsy requests to the server (issue 9, items 3, 7 and 8): a 4xx with a
readable message, never a traceback or a server path; bad parameter names never reach a
notebook; slow analyses do not starve other requests."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
import tornado.httpclient

from ..input_harness import notebook_node
from ..malformed_cases import ALL_CASES, expected_word, file_bytes


async def call(jp_fetch, method, *parts, body=None, raw: bytes | None = None, **kwargs):
    data = raw if raw is not None else (json.dumps(body if body is not None else {}) if method == "POST" else None)
    try:
        response = await jp_fetch("kale-like", *parts, method=method, body=data, **kwargs)
    except tornado.httpclient.HTTPClientError as error:
        response = error.response
    text = response.body.decode() if response.body else ""
    return response.code, text


def assert_clean(text: str, root) -> None:
    assert "Traceback" not in text and 'File "' not in text
    assert str(root) not in text and "/tmp/" not in text and "site-packages" not in text, text


@pytest.mark.parametrize("case", ALL_CASES)
async def test_malformed_notebook_is_a_readable_error(jp_fetch, jp_root_dir, case):
    (jp_root_dir / "sub").mkdir(exist_ok=True)
    (jp_root_dir / "sub" / "bad.ipynb").write_bytes(file_bytes(case))
    status, text = await call(jp_fetch, "POST", "analyze", body={"path": "sub/bad.ipynb"})
    assert status in (200, 400), text
    assert_clean(text, jp_root_dir)
    word = expected_word(case)
    if word is not None:
        payload = json.loads(text)
        diagnostic = payload.get("diagnostic") or payload["diagnostics"][0]
        shown = f"{payload.get('message') or diagnostic['message']} (cell {diagnostic.get('cell')})"
        assert diagnostic["severity"] == "error" and word in shown, payload
    status, text = await call(jp_fetch, "POST", "compile", body={"path": "sub/bad.ipynb"})
    assert status in ((200, 400) if word is None else (400,)), text
    assert_clean(text, jp_root_dir)


@pytest.mark.parametrize("case", ["cell source an int", "step_defaults timeout text", "deep JSON"])
async def test_a_run_of_a_malformed_notebook_ends_with_a_relative_message(jp_fetch, jp_root_dir, case):
    (jp_root_dir / "bad.ipynb").write_bytes(file_bytes(case))
    status, text = await call(jp_fetch, "POST", "runs", body={"path": "bad.ipynb"})
    if status == 400:
        assert_clean(text, jp_root_dir)
        return
    assert status == 202, text
    run_id = json.loads(text)["id"]
    for _ in range(300):
        status, text = await call(jp_fetch, "GET", "runs", run_id)
        if json.loads(text)["state"] in ("failed", "succeeded", "cancelled"):
            break
        await asyncio.sleep(0.1)
    result = json.loads(text)["result"]
    assert result["ok"] is False and "bad.ipynb" in result["error"]["message"]
    assert_clean(text, jp_root_dir)


@pytest.mark.parametrize("content", [
    {"cells": [{"cell_type": "code", "source": 5, "metadata": {}}]},
    {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {"tags": [3]}}]},
    {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": None}], "metadata": {"language_info": [1]}},
    {"cells": [{"cell_type": "code", "source": "x = '\ud800'", "metadata": {}}]},
    {"cells": [{"cell_type": "code", "source": "x = 1"}], "metadata": {"kale_like": {"step_defaults": {"retries": "x"}}}},
])
async def test_malformed_draft_content_is_a_diagnostic(jp_fetch, jp_root_dir, content):
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook_node("x = 1")), encoding="utf-8")
    status, text = await call(jp_fetch, "POST", "analyze", body={"path": "nb.ipynb", "content": content})
    assert status in (200, 400), text
    assert_clean(text, jp_root_dir)
    payload = json.loads(text)
    assert payload.get("message") or payload["diagnostics"][0]["severity"] == "error"


BAD_BODIES = [
    ("{\"path\": \"caf\u00e9.ipynb\"}".encode("latin-1"), "not UTF-8"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8"),
    (b"[" * 100000 + b"]" * 100000, "nests too deeply"),
    (b"{\"path\": ", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b"{\"path\": 5}", "'path' is required"),
    (b"{\"path\": \"nb.ipynb\", \"split\": [1]}", "'split' must be a string"),
]


@pytest.mark.parametrize("endpoint, raw, words", [
    *((endpoint, raw, words) for endpoint in ("analyze", "compile", "runs") for raw, words in BAD_BODIES),
    ("runs", b"{\"path\": \"nb.ipynb\", \"jobs\": \"many\"}", "'jobs'"),
    ("runs", b"{\"path\": \"nb.ipynb\", \"parameters\": [1]}", "'parameters'"),
    ("runs", b"{\"path\": \"nb.ipynb\", \"backend\": \"\\u0000\"}", "unknown backend"),
])
async def test_bad_request_bodies_are_400(jp_fetch, jp_root_dir, raw, words, endpoint):
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook_node("x = 1")), encoding="utf-8")
    status, text = await call(jp_fetch, "POST", endpoint, raw=raw)
    assert status == 400, text
    assert words in json.loads(text)["message"]
    assert_clean(text, jp_root_dir)


@pytest.mark.parametrize("name", ["x=1\nimport os\ny", "__import__('os').system('id')", "class", "a b", "", "1x"])
async def test_bad_parameter_names_are_refused_before_any_cell(jp_fetch, jp_root_dir, name):
    (jp_root_dir / "nb.ipynb").write_text(json.dumps(notebook_node(("a = 1", ["parameters"]), "print(a)")),
                                          encoding="utf-8")
    status, text = await call(jp_fetch, "POST", "runs", body={"path": "nb.ipynb", "parameters": {name: 1}})
    assert status == 400, text
    assert "not a valid parameter name" in json.loads(text)["message"]
    status, text = await call(jp_fetch, "GET", "runs")
    assert json.loads(text) == []
    assert not (jp_root_dir / "nb.executed.ipynb").exists()


def _heavy_notebook(cells: int) -> dict:
    return notebook_node(*[f"v{i} = v{i - 1} + 1 if {i} else 0\n" + "x = " + " + ".join(["v0"] * 200)
                           for i in range(cells)])


async def test_slow_analyses_do_not_starve_other_requests(jp_fetch, jp_root_dir, jp_web_app):
    from kale_like.server.offload import Offload

    (jp_root_dir / "heavy.ipynb").write_text(json.dumps(_heavy_notebook(100)), encoding="utf-8")
    offload = Offload(seconds=600)
    jp_web_app.settings["kale_like_offload"] = offload
    # Both analysis workers busy until the gate opens: every analysis request queues behind
    # them, as a burst of heavy requests would, however fast this machine analyses.
    gate = threading.Event()
    blockers = [asyncio.ensure_future(offload.call(gate.wait, 600)) for _ in range(2)]

    async def heavy():
        return await call(jp_fetch, "POST", "analyze", body={"path": "heavy.ipynb"}, request_timeout=600)

    batch = [asyncio.ensure_future(heavy()) for _ in range(8)]
    await asyncio.sleep(0.05)
    try:
        for _ in range(5):
            for endpoint in ("info", "runs"):
                status, text = await call(jp_fetch, "GET", endpoint)
                assert status == 200, text
        assert not any(task.done() for task in batch)
    finally:
        gate.set()
    results = await asyncio.gather(*batch, *blockers)
    assert all(status == 200 for status, _ in results[:8])


async def test_analysis_past_the_deadline_is_503(jp_fetch, jp_root_dir, jp_web_app):
    from kale_like.server.offload import Offload

    (jp_root_dir / "heavy.ipynb").write_text(json.dumps(_heavy_notebook(100)), encoding="utf-8")
    jp_web_app.settings["kale_like_offload"] = Offload(seconds=0.01)
    status, text = await call(jp_fetch, "POST", "analyze", body={"path": "heavy.ipynb"})
    assert status == 503 and "took longer than" in json.loads(text)["message"]
    assert_clean(text, jp_root_dir)
