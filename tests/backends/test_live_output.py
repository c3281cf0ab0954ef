"""Live step output: what a step prints reaches ``on_event`` (and ``run --verbose``)
while the step still runs, not only the executed notebook at the end."""
from __future__ import annotations

import subprocess
import sys

import pytest

import kale_like

from core.helpers import make_notebook

# The step prints, then waits for a flag file that the test creates only when it has
# received that print as an event: the step can only finish if its output is live.
WAITS_FOR_ITS_OWN_OUTPUT = (
    "import os, sys, time\n"
    "print('first line', flush=True)\n"
    "print('to stderr', file=sys.stderr)\n"
    "deadline = time.time() + 60\n"
    "while not os.path.exists(FLAG) and time.time() < deadline:\n"
    "    time.sleep(0.05)\n"
    "assert os.path.exists(FLAG), 'the output never reached the parent while the step ran'\n"
    "print('after the flag')\n"
    "done = 1")


def _notebook(tmp_path, flag):
    return make_notebook((f"FLAG = {str(flag)!r}", ["step:setup"]), (WAITS_FOR_ITS_OWN_OUTPUT, ["step:chatty"]),
                         ("print('done is', done)", ["step:after"]), path=tmp_path / "chatty.ipynb")


def test_output_arrives_while_the_step_runs(tmp_path):
    flag = tmp_path / "seen"
    _notebook(tmp_path, flag)
    events = []

    def on_event(event):
        events.append(event)
        if event["type"] == "output" and "first line" in event["text"]:
            flag.touch()

    result = kale_like.run(tmp_path / "chatty.ipynb", workdir=str(tmp_path / "work"), on_event=on_event)
    assert result.ok, result.error
    outputs = [(e["step"], e["name"], e["text"]) for e in events if e["type"] == "output"]
    text = {(step, name): "".join(t for s, n, t in outputs if (s, n) == (step, name)) for step, name, _ in outputs}
    assert text[("chatty", "stdout")] == "first line\nafter the flag\n"
    assert text[("chatty", "stderr")] == "to stderr\n"
    assert text[("after", "stdout")] == "done is 1\n"
    first = next(i for i, e in enumerate(events) if e["type"] == "output" and e["step"] == "chatty")
    finished = next(i for i, e in enumerate(events) if e.get("step") == "chatty" and e.get("state") == "succeeded")
    assert first < finished


def test_cached_steps_do_not_repeat_their_output(tmp_path):
    flag = tmp_path / "seen"
    flag.touch()
    _notebook(tmp_path, flag)
    work = str(tmp_path / "work")
    kale_like.run(tmp_path / "chatty.ipynb", workdir=work)
    events = []
    result = kale_like.run(tmp_path / "chatty.ipynb", workdir=work, on_event=events.append)
    assert result.ok
    assert [e for e in events if e["type"] == "output"] == []
    assert {e["state"] for e in events if e["type"] == "step" and e["state"] != "waiting"} == {"cached"}


@pytest.mark.parametrize("code, expected", [
    ("print('a'); print('b')", ["s | a", "s | b"]),
    ("import os\nos.write(1, b'from fd 1\\n')", ["s | from fd 1"]),  # C-level output, at the cell's end
    ("print('no newline at the end', end='')", []),  # an unfinished line is not printed half
])
def test_cli_verbose_prints_each_step_line(tmp_path, code, expected):
    make_notebook((code, ["step:s"]), path=tmp_path / "v.ipynb")
    result = subprocess.run([sys.executable, "-m", "kale_like", "run", str(tmp_path / "v.ipynb"), "--verbose",
                             "--workdir", str(tmp_path / "work")], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("s | ")] == expected
    quiet = subprocess.run([sys.executable, "-m", "kale_like", "run", str(tmp_path / "v.ipynb"), "--no-cache",
                            "--workdir", str(tmp_path / "work")], capture_output=True, text=True, timeout=300,
                            check=False)
    assert "s | " not in quiet.stderr


def test_the_sink_joins_consecutive_writes_of_a_stream_into_one_output():
    from kale_like.runtime.capture import OutputSink

    sink = OutputSink()
    for i in range(1000):
        sink.stream("stdout", f"{i}\n")
    sink.stream("stderr", "warn\n")
    sink.stream("stdout", "a")
    sink.add({"output_type": "display_data", "data": {}, "metadata": {}})
    sink.stream("stdout", "b")
    sink.stream("stdout", "c")
    outputs = sink.take()
    assert [o["output_type"] for o in outputs] == ["stream", "stream", "stream", "display_data", "stream"]
    assert outputs[0]["text"] == "".join(f"{i}\n" for i in range(1000))
    assert (outputs[1]["name"], outputs[1]["text"]) == ("stderr", "warn\n")
    assert outputs[2]["text"] == "a" and outputs[4]["text"] == "bc"
    sink.stream("stdout", "gone")
    sink.clear()  # clear_output()
    sink.stream("stdout", "kept")
    assert sink.take() == [{"output_type": "stream", "name": "stdout", "text": "kept"}]
    assert sink.take() == []
