"""README's Python example (example_readme.py) runs as written."""

import pathlib
import runpy


def test_readme_example(capsys):
    runpy.run_path(str(pathlib.Path(__file__).with_name("example_readme.py")), run_name="__main__")
    printed = capsys.readouterr().out
    assert "InvalidArgument" in printed and "passed" in printed
