"""DynamoDB Local's class-data archive (issue 17): the jars-only manifest, and the launch that uses it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gate.dynamo import cds, jvm, local
from gate.dynamo.client import dynamodb_client

SHIPPED = (
    "Manifest-Version: 1.0\r\nMain-Class: software.amazon.dynamodb.services.local.main.ServerRunner\r\n"
    "Class-Path: . log4j2.xml DynamoDBLocal_lib/Apache-HttpComponents-HttpC\r\n lient-4.5.x.jar DynamoDBLoc"
    "al_lib/guava-33.5.0-jre.jar DynamoDBLocal_lib/libsqlite4java-linux-amd64.so\r\n\r\n"
)


def test_the_manifest_keeps_only_jars_on_its_class_path() -> None:
    out = cds.jars_only_manifest(SHIPPED)
    assert out.endswith("\r\n\r\n") and all(len(line.encode()) <= 72 for line in out.split("\r\n"))
    unfolded = out.replace("\r\n ", "")
    cp = next(line for line in unfolded.split("\r\n") if line.startswith("Class-Path:"))
    assert cp.split()[1:] == [
        "DynamoDBLocal_lib/Apache-HttpComponents-HttpClient-4.5.x.jar",
        "DynamoDBLocal_lib/guava-33.5.0-jre.jar",
    ]
    assert "Main-Class: software.amazon.dynamodb.services.local.main.ServerRunner" in unfolded


def test_the_launch_uses_the_archive_only_when_both_files_are_there(tmp_path: Path) -> None:
    assert "-XX:SharedArchiveFile" not in " ".join(cds.launch_args(tmp_path))
    (tmp_path / cds.JAR).write_bytes(b"")
    (tmp_path / cds.ARCHIVE).write_bytes(b"")
    args = cds.launch_args(tmp_path)
    assert f"-XX:SharedArchiveFile={tmp_path / cds.ARCHIVE}" in args and args[-1] == str(tmp_path / cds.JAR)


def test_the_installed_archive_starts_a_database_that_works() -> None:
    """make test installs it (scripts/install-dynamodb-local): the server it starts answers like the other."""
    home = jvm.install_dir()
    assert (home / cds.ARCHIVE).is_file(), "scripts/install-dynamodb-local built no class-data archive"
    with local.start() as ddb:
        client = dynamodb_client(ddb.endpoint)
        client.create_table(
            TableName="cds_check",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="cds_check", Item={"k": {"S": "a"}})
        assert client.get_item(TableName="cds_check", Key={"k": {"S": "a"}})["Item"] == {"k": {"S": "a"}}


def test_the_installed_archive_maps_from_any_working_directory(tmp_path: Path) -> None:
    """A scan's JVM runs in a temporary directory: with `-Xshare:on` a JVM that cannot map the archive
    (a class path recorded relative to where it was built) refuses to start instead of ignoring it."""
    home = jvm.install_dir()
    args = cds.launch_args(home)
    assert any(a.startswith("-XX:SharedArchiveFile=") for a in args)
    done = subprocess.run(
        ["java", "-Xshare:on", *args, "-help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout[-800:] + done.stderr[-800:]


def test_an_archive_built_from_a_relative_install_path_still_records_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    seen: list[Path] = []
    monkeypatch.setattr(cds, "write_jar", lambda home: seen.append(home) or home / cds.JAR)
    monkeypatch.setattr(cds.subprocess, "Popen", _refuse)
    with pytest.raises(RuntimeError, match="refused"):
        cds.build(Path("install"))
    assert seen == [tmp_path.resolve() / "install"]
    lib = tmp_path.resolve() / "install" / "DynamoDBLocal_lib"
    assert cds.launch_args(Path("install"))[0] == f"-Djava.library.path={lib}"


def _refuse(argv: list[str], **kwargs: object) -> None:
    assert all(not a.startswith(("install", "./")) for a in argv), argv
    raise RuntimeError("refused")
