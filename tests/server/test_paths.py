"""Notebook paths from the browser: refused before anything is read."""
from __future__ import annotations

import pytest

pytest.importorskip("tornado")

from tornado import web

from kale_like.server.paths import check_api_path


@pytest.mark.parametrize("path", ["../x.ipynb", "a/../../x.ipynb", "a/..", "..\\x.ipynb", "/etc/x.ipynb",
                                  "\\\\host\\share\\x.ipynb", "C:/x.ipynb", "~/x.ipynb", "", "  ", None, 42,
                                  "notes.txt", "x.ipynb\x00.txt"])
def test_refused(path):
    with pytest.raises(web.HTTPError) as info:
        check_api_path(path)
    assert info.value.status_code == 400


@pytest.mark.parametrize("path, parts", [("a.ipynb", ["a.ipynb"]), ("dir/sub/a.ipynb", ["dir", "sub", "a.ipynb"]),
                                         ("./dir//a.ipynb", ["dir", "a.ipynb"]), ("my..name.ipynb", ["my..name.ipynb"])])
def test_accepted(path, parts):
    assert check_api_path(path) == parts
