"""uv.lock (what Heroku installs from) and .python-version agree with pyproject.toml."""

from __future__ import annotations

import subprocess
import tomllib
from collections import defaultdict
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT

PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK: dict[str, Any] = tomllib.loads((ROOT / "uv.lock").read_text())
PROJECT = PYPROJECT["project"]
FIX = "uv.lock is out of date with pyproject.toml: run `uv lock` and commit uv.lock"


def requirements(project: dict[str, Any]) -> list[Requirement]:
    """Every runtime and extra requirement of a pyproject [project] table, except the project's own extras."""
    extras = [r for group in project.get("optional-dependencies", {}).values() for r in group]
    parsed = [Requirement(r) for r in [*project.get("dependencies", []), *extras]]
    return [r for r in parsed if canonicalize_name(r.name) != canonicalize_name(project["name"])]


def locked_versions(lock: dict[str, Any]) -> dict[str, list[Version]]:
    """Each package name in a uv.lock with every version locked for it (a universal lock may hold several)."""
    versions: dict[str, list[Version]] = defaultdict(list)
    for package in lock["package"]:
        versions[canonicalize_name(package["name"])].append(Version(package["version"]))
    return dict(versions)


def unlocked(project: dict[str, Any], lock: dict[str, Any]) -> list[str]:
    """The requirements of `project` that `lock` has no package for at all."""
    locked = locked_versions(lock)
    return [str(r) for r in requirements(project) if canonicalize_name(r.name) not in locked]


def unsatisfied(project: dict[str, Any], lock: dict[str, Any]) -> list[str]:
    """The requirements of `project` whose locked versions fall outside their specifier."""
    locked = locked_versions(lock)
    return [
        f"{r} (locked {', '.join(map(str, locked[name]))})"
        for r in requirements(project)
        if (name := canonicalize_name(r.name)) in locked
        and not all(r.specifier.contains(v, prereleases=True) for v in locked[name])
    ]


def test_every_pyproject_requirement_is_in_the_lock() -> None:
    """Each runtime dependency and each extra's requirement in pyproject.toml has a package in uv.lock."""
    assert unlocked(PROJECT, LOCK) == [], FIX


def test_a_dependency_added_to_pyproject_but_not_locked_is_caught() -> None:
    """The check above fails when pyproject gains a dependency the lock does not have."""
    grown = {**PROJECT, "dependencies": [*PROJECT["dependencies"], "not-in-the-lock>=1"]}
    assert "not-in-the-lock>=1" in unlocked(grown, LOCK)


def test_locked_versions_satisfy_the_pyproject_specifiers() -> None:
    """Every version uv.lock pins for a requirement is one that pyproject.toml allows."""
    assert unsatisfied(PROJECT, LOCK) == [], FIX


def test_a_specifier_the_lock_does_not_meet_is_caught() -> None:
    """Raising a floor above the locked version is reported, with the version that was locked."""
    raised = {**PROJECT, "dependencies": ["httpx>=999"]}
    [problem] = unsatisfied(raised, LOCK)
    assert problem.startswith("httpx>=999 (locked ")


def test_lock_records_the_project_extras_and_python_range() -> None:
    """uv.lock was made from this pyproject: the same project, the same extras, the same requires-python."""
    [entry] = [p for p in LOCK["package"] if p["name"] == PROJECT["name"]]
    assert entry["source"] == {"editable": "."}
    assert set(entry["optional-dependencies"]) == set(PROJECT["optional-dependencies"])
    assert LOCK["requires-python"] == PROJECT["requires-python"]


def test_python_version_pin_is_within_requires_python() -> None:
    """The interpreter Heroku installs (.python-version) is one the project supports."""
    pin = (ROOT / ".python-version").read_text().strip()
    assert Version(pin) in SpecifierSet(PROJECT["requires-python"])
    assert pin.count(".") == 1, "a major.minor pin lets the platform apply security releases"


def test_uv_finds_the_lock_current() -> None:
    """`uv lock --check --offline` (the dev extra installs uv) agrees: the lock needs no update at all."""
    uv = pytest.importorskip("uv", reason="uv is in the dev extra").find_uv_bin()
    result = subprocess.run(  # noqa: S603 - uv itself, fixed arguments
        [uv, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
