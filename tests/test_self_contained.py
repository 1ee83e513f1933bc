"""The repository runs from a bare clone: no tracked file reaches for a folder beside it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import CONTRACTS, ROOT

# Built from pieces so that this file's own source does not match what it looks for.
_UP = re.escape("." * 2)
_NAME = "sh" + "ared"
OUTSIDE_PATH = re.compile(
    "|".join(
        [
            rf"{_UP}[/\\]{_NAME}\b",  # a relative path: up one folder, then into it
            rf"\.parent\s*/\s*[\"']{_NAME}[\"']",  # pathlib: <something>.parent / "<name>"
            rf"[\"']{_UP}[\"']\s*,\s*[\"']{_NAME}[\"']",  # os.path.join(..., "..", "<name>")
        ]
    )
)


def tracked_files() -> list[str]:
    """Paths of the files git tracks, relative to the repository root."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    result = subprocess.run(  # noqa: S603 - git itself, fixed arguments
        [git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"not a git checkout: {result.stderr.decode(errors='replace').strip()}")
    return [path for path in result.stdout.decode().split("\0") if path]


@pytest.mark.parametrize(
    "text",
    [
        "cat " + "." * 2 + "/" + _NAME + "/specs/x.yaml",
        "SPECS = ROOT.parent / " + '"' + _NAME + '"',
        "os.path.join(ROOT, " + '".' + '.", "' + _NAME + '")',
    ],
)
def test_pattern_catches_each_way_of_naming_the_outside_folder(text: str) -> None:
    """The check below is not vacuous: each form of the path is recognised."""
    assert OUTSIDE_PATH.search(text)


def test_no_tracked_file_names_a_folder_outside_the_repository() -> None:
    """Outside tests/contracts (verbatim upstream text), nothing points at the workspace folder beside the clone."""
    contracts = CONTRACTS.relative_to(ROOT).as_posix() + "/"
    files = [path for path in tracked_files() if not path.startswith(contracts)]
    assert "tests/conftest.py" in files
    offenders = []
    for path in files:
        if not (ROOT / path).is_file():  # deleted in the working tree, or a submodule
            continue
        data = (ROOT / path).read_bytes()
        if b"\0" in data:  # binary
            continue
        for number, line in enumerate(data.decode(errors="replace").splitlines(), start=1):
            if OUTSIDE_PATH.search(line):
                offenders.append(f"{path}:{number}: {line.strip()}")
    assert offenders == []
