from kale_like.backends.local.warnings_once import drop_repeated_warnings

LIB = "/site-packages/lib.py:10: FutureWarning: old API\n  warnings.warn('old API', FutureWarning)\n"
OWN = "<cell 3>:2: RuntimeWarning: from a function\n  warnings.warn('from a function')\n"


def _records(*texts):
    return {i: {"outputs": [{"output_type": "stream", "name": "stderr", "text": t}]} for i, t in enumerate(texts)}


def test_library_warning_is_kept_once_in_notebook_order():
    records = _records(LIB, LIB + "other text\n")
    drop_repeated_warnings(records, ["x"])
    assert records[0]["outputs"][0]["text"] == LIB
    assert records[1]["outputs"][0]["text"] == "other text\n"


def test_warnings_from_notebook_code_repeat_as_in_a_kernel():
    records = _records(OWN, OWN)
    drop_repeated_warnings(records, ["x"])
    assert [r["outputs"][0]["text"] for r in records.values()] == [OWN, OWN]


def test_always_filter_keeps_every_occurrence():
    records = _records(LIB, LIB)
    drop_repeated_warnings(records, ["warnings.simplefilter('always')"])
    assert len(records[1]["outputs"]) == 1
