"""action.yml and the workflows: GitHub's schemas (check-jsonschema), zizmor, and the rules they must keep."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.action import Inputs
from tests.conftest import ROOT

BIN = ROOT / ".venv/bin"
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
EXAMPLES = sorted((ROOT / "examples/workflows").glob("*.yml"))


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    if not (BIN / name).exists():
        pytest.skip(f"{name} comes with the dev extras")
    return subprocess.run([str(BIN / name), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def test_action_yml_matches_githubs_schema() -> None:
    p = _tool("check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml")
    assert p.returncode == 0, p.stdout + p.stderr


def test_workflows_and_examples_match_githubs_schema() -> None:
    files = [str(p.relative_to(ROOT)) for p in WORKFLOWS + EXAMPLES]
    assert {Path(f).name for f in files} >= {"ci.yml", "self-test.yml", "release.yml", "authgate-comment.yml"}
    p = _tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *files)
    assert p.returncode == 0, p.stdout + p.stderr


def test_dependabot_config_matches_githubs_schema() -> None:
    p = _tool("check-jsonschema", "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml")
    assert p.returncode == 0, p.stdout + p.stderr


def test_zizmor_finds_nothing() -> None:
    files = ["action.yml", ".github/dependabot.yml", *(str(p.relative_to(ROOT)) for p in WORKFLOWS + EXAMPLES)]
    p = _tool("zizmor", "--offline", "--no-progress", *files)
    assert p.returncode == 0, p.stdout + p.stderr


def test_every_input_in_action_yml_is_read_and_nothing_else() -> None:
    declared = set(yaml.safe_load((ROOT / "action.yml").read_text())["inputs"])

    class Recorder(dict):  # type: ignore[type-arg]
        asked: list[str] = []

        def get(self, key: str, default: Any = None) -> Any:
            self.asked.append(key)
            return super().get(key, default)

    env = Recorder()
    Inputs.from_env(env)
    read = {k.removeprefix("INPUT_").lower() for k in env.asked if "_" not in k.removeprefix("INPUT_")}
    assert read == declared


def test_action_yml_token_default_and_branding() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["inputs"]["config"]["default"] == ".authgate.yml"
    assert set(action["outputs"]) == {"score", "grade", "verdict", "new-findings", "report-path", "sarif-path"}
    assert action["branding"] == {"icon": "shield", "color": "red"}


def test_no_workflow_runs_pull_request_code_with_a_write_token() -> None:
    for path in WORKFLOWS + EXAMPLES:
        assert "pull_request_target" not in _load(path)["on"], path.name


def test_the_comment_half_of_the_fork_pattern_never_checks_out_code() -> None:
    doc = _load(ROOT / "examples/workflows/authgate-comment.yml")
    assert list(doc["on"]) == ["workflow_run"]
    steps = [s for job in doc["jobs"].values() for s in job["steps"]]
    assert not [s for s in steps if "checkout" in s.get("uses", "")]
    assert [s["run"] for s in steps if "run" in s] == [
        'authgate comment --report "$RUNNER_TEMP/authgate/authgate-report.json"'
    ]
    scan = _load(ROOT / "examples/workflows/authgate-scan.yml")
    assert scan["permissions"] == {"contents": "read"} and "pull_request" in scan["on"]
    assert doc["on"]["workflow_run"]["workflows"] == [scan["name"]]


def test_self_test_uses_the_local_action_with_the_permissions_it_needs() -> None:
    doc = _load(ROOT / ".github/workflows/self-test.yml")
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
        "security-events": "write",
    }
    (gate,) = [s for s in job["steps"] if s.get("uses") == "./"]
    assert gate["with"]["working-directory"].startswith("examples/") and gate["with"]["sarif"]
    (upload,) = [s for s in job["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] == "${{ steps.gate.outputs.sarif-path }}"


def test_ci_runs_the_linters_of_the_action() -> None:
    """CI's lint job is `make lint`, so a laptop runs exactly what CI does."""
    ci = (ROOT / ".github/workflows/ci.yml").read_text()
    for needle in ("run: make lint", "run: make test", "docker build"):
        assert needle in ci, needle
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile[makefile.index("\nlint:") :].split("\n\n")[0]
    assert lint.startswith("\nlint: $(STAMP)\n")  # no Java or DynamoDB Local needed to lint
    for needle in (
        "ruff check",
        "ruff format --check",
        "hadolint Dockerfile",
        "--builtin-schema vendor.github-actions action.yml",
        "--builtin-schema vendor.github-workflows",
        "zizmor --offline",
    ):
        assert needle in lint, needle


def test_the_example_workflow_has_a_base_analysis_one_run_per_pr_and_uploads_what_the_comment_links() -> None:
    doc = _load(ROOT / "examples/workflows/authgate.yml")
    assert "pull_request" in doc["on"] and doc["on"]["push"]["branches"] == ["main"]
    assert "pull_request_target" not in doc["on"]
    assert (
        "github.event.pull_request.number" in doc["concurrency"]["group"] and doc["concurrency"]["cancel-in-progress"]
    )
    (job,) = doc["jobs"].values()
    uses = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    artifact = uses["actions/upload-artifact"]
    assert artifact["with"]["name"] == "authgate-report" and "report-path" in artifact["with"]["path"]
    assert "sarif-path" in uses["github/codeql-action/upload-sarif"]["with"]["sarif_file"]
    readme = (ROOT / "README.md").read_text()
    for needed in (
        "push:\n    branches: [main]",
        "cancel-in-progress: true",
        "actions/upload-artifact@",
        "upload-sarif@",
    ):
        assert needed in readme, needed


def test_the_release_builds_both_platforms_natively_and_publishes_one_index() -> None:
    doc = _load(ROOT / ".github/workflows/release.yml")
    matrix = doc["jobs"]["image"]["strategy"]["matrix"]["include"]
    assert {(m["arch"], m["runner"]) for m in matrix} == {("amd64", "ubuntu-24.04"), ("arm64", "ubuntu-24.04-arm")}
    text = (ROOT / ".github/workflows/release.yml").read_text()
    assert "imagetools create" in text and "linux/amd64 linux/arm64" in text
