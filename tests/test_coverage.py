"""Fail closed: a service that cannot reach its data is an incomplete scan, never a pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import EXAMPLES, scan_report


def test_a_service_on_the_wrong_table_is_an_error_not_a_pass(tmp_path: Path) -> None:
    svc = tmp_path / "svc"
    shutil.copytree(EXAMPLES / "profiles-fastapi-fixed", svc)
    cfg = svc / ".authgate.yml"
    cfg.write_text(cfg.read_text().replace("POSTS_TABLE: posts", "POSTS_TABLE: posts-v2"))
    p, report = scan_report(svc, tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert (report["verdict"], report["complete"]) == ("error", False)
    reasons = " ".join(report["reasons"])
    assert "ResourceNotFoundException on table posts-v2" in reasons
    assert "legitimate GET requests" in reasons and "-> 500" in reasons
