"""CloudFormation intrinsic functions resolved for what a scan needs: table names (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.dynamo import tables, template
from gate.errors import ScanError

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  projectName: {Type: String, Default: notes}
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Mappings:
  Sizes: {dev: {Capacity: "1"}}
Resources:
  Users:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub ${projectName}-users-${AWS::Region}
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}, {AttributeName: email, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      GlobalSecondaryIndexes:
        - IndexName: by_email
          KeySchema: [{AttributeName: email, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
  Notes:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Join ["-", [!Ref projectName, !If [IsProd, notes, notes-test]]]
      AttributeDefinitions: [{AttributeName: owner, AttributeType: S}, {AttributeName: note_id, AttributeType: S}]
      KeySchema: [{AttributeName: note_id, KeyType: RANGE}, {AttributeName: owner, KeyType: HASH}]
  Plain:
    Type: AWS::Serverless::SimpleTable
    Properties: {PrimaryKey: {Name: pk, Type: Number}}
"""


def test_sub_join_if_and_pseudo_parameters_give_the_table_names(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    got = {
        t.name: (t.key, [i.name for i in t.indexes]) for t in tables.tables_from_template(tmp_path / "template.yaml")
    }
    assert got == {
        "notes-users-us-east-1": ({"id": "S"}, ["by_email"]),
        "notes-notes-test": ({"owner": "S", "note_id": "S"}, []),
        "Plain": ({"pk": "N"}, []),
    }


def test_given_parameters_win_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    names = {
        t.name for t in tables.tables_from_template(tmp_path / "template.yaml", {"Stage": "prod", "projectName": "p"})
    }
    assert names == {"p-users-us-east-1", "p-notes", "Plain"}


def test_what_only_a_deployment_knows_stays_unresolved() -> None:
    doc = {"Resources": {"B": {"Type": "AWS::S3::Bucket"}}, "Parameters": {}}
    r = template.Resolver(doc)
    assert r.resolve({"Fn::GetAtt": ["B", "Arn"]}) is None
    assert r.resolve({"Fn::Sub": "${B.Arn}/x"}) is None
    assert r.resolve({"Fn::Sub": ["${A}-${!Literal}", {"A": "a"}]}) == "a-${Literal}"
    assert r.resolve({"Fn::FindInMap": ["M", "x", "y"]}) is None


def test_a_table_name_from_an_attribute_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !GetAtt X.Name\n"
        "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n"
    )
    with pytest.raises(ScanError, match="depends on what only a deployment knows"):
        tables.tables_from_template(tmp_path / "t.yaml")
