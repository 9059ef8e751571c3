"""z. The DynamoDB table model of the emulator's CloudFormation (cfn.py), as the Template
Reference documents AWS::DynamoDB::Table: the table in moto's DynamoDB, which the
emulator serves (DescribeTable, items, queries, ...), every call authorized by the
caller's role (servicegate.py, correction ac).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html

Honoured: TableName (else generated), AttributeDefinitions, KeySchema, BillingMode
(PAY_PER_REQUEST, or PROVISIONED with ProvisionedThroughput), GlobalSecondaryIndexes and
LocalSecondaryIndexes (key schema, projection), PointInTimeRecoverySpecification
(DescribeContinuousBackups answers it; no backups are taken), TimeToLiveSpecification
(DescribeTimeToLive answers it; items are not expired: DynamoDB deletes expired items
"within a few days", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html),
SSESpecification with the AWS managed key (SSEEnabled, SSEType KMS; a KMSMasterKeyId
needs KMS, not emulated), DeletionProtectionEnabled (DeleteTable and the stack's deletion
of it refused), TableClass (kept), Tags. Anything else (streams, Kinesis, imports,
resource policies, ...) fails the deploy by name.
Replacement when TableName, KeySchema or LocalSecondaryIndexes change; everything else in
place (a global secondary index added, removed or redefined: deleted and created).
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models import dynamodb_backends

from .cfn import ANY, Model, TemplateError, register

_KEY_SCHEMA = [{"AttributeName": ANY, "KeyType": ANY}]
_PROJECTION = {"ProjectionType": ANY, "NonKeyAttributes": ANY}
_THROUGHPUT = {"ReadCapacityUnits": ANY, "WriteCapacityUnits": ANY}


class Table(Model):
    TYPE = "AWS::DynamoDB::Table"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html"
    NAME_PROPERTY = "TableName"
    PROPERTIES = {
        "TableName": ANY,
        "AttributeDefinitions": [{"AttributeName": ANY, "AttributeType": ANY}],
        "KeySchema": _KEY_SCHEMA,
        "BillingMode": ANY,
        "ProvisionedThroughput": _THROUGHPUT,
        "GlobalSecondaryIndexes": [{"IndexName": ANY, "KeySchema": _KEY_SCHEMA, "Projection": _PROJECTION,
                                    "ProvisionedThroughput": _THROUGHPUT}],
        "LocalSecondaryIndexes": [{"IndexName": ANY, "KeySchema": _KEY_SCHEMA, "Projection": _PROJECTION}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": ANY, "RecoveryPeriodInDays": ANY},
        "TimeToLiveSpecification": {"AttributeName": ANY, "Enabled": ANY},
        "SSESpecification": {"SSEEnabled": ANY, "SSEType": ANY},
        "DeletionProtectionEnabled": ANY,
        "TableClass": ANY,
        "Tags": [{"Key": ANY, "Value": ANY}],
    }
    REPLACEMENT = frozenset({"TableName", "KeySchema", "LocalSecondaryIndexes"})
    ATTRIBUTES = frozenset({"Arn"})

    def _dynamodb(self) -> Any:
        return dynamodb_backends[self.account_id][self.region]

    def _billing(self, props: dict[str, Any]) -> tuple[str, dict[str, int] | None]:
        mode = props.get("BillingMode") or "PROVISIONED"
        if mode not in ("PAY_PER_REQUEST", "PROVISIONED"):
            raise self.fail("BillingMode", f"value {mode} is not PAY_PER_REQUEST or PROVISIONED")
        throughput = props.get("ProvisionedThroughput")
        if mode == "PROVISIONED" and not throughput:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): ProvisionedThroughput is required "
                                "with BillingMode PROVISIONED")
        if mode == "PAY_PER_REQUEST" and throughput:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): ProvisionedThroughput cannot be given "
                                "with BillingMode PAY_PER_REQUEST")
        return mode, ({key: int(value) for key, value in throughput.items()} if throughput else None)

    @staticmethod
    def _index(index: dict[str, Any]) -> dict[str, Any]:
        converted = {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                     "Projection": index.get("Projection") or {"ProjectionType": "ALL"}}
        if index.get("ProvisionedThroughput"):
            converted["ProvisionedThroughput"] = {k: int(v) for k, v in index["ProvisionedThroughput"].items()}
        return converted

    def _sse(self, props: dict[str, Any]) -> dict[str, Any] | None:
        sse = props.get("SSESpecification")
        if not sse or not sse.get("SSEEnabled"):
            return None
        if sse.get("SSEType", "KMS") != "KMS":
            raise self.fail("SSESpecification.SSEType", f"value {sse['SSEType']} is not KMS")
        return {"Enabled": True, "SSEType": "KMS"}

    def create(self) -> None:
        props = self.properties
        self.physical_id = props.get("TableName") or self.name
        mode, throughput = self._billing(props)
        self._dynamodb().create_table(
            self.physical_id, schema=props["KeySchema"], throughput=throughput,
            attr=props["AttributeDefinitions"],
            global_indexes=[self._index(i) for i in props.get("GlobalSecondaryIndexes") or []],
            indexes=[self._index(i) for i in props.get("LocalSecondaryIndexes") or []],
            streams=None, billing_mode=mode, sse_specification=self._sse(props),
            tags=list(props.get("Tags") or []),
            deletion_protection_enabled=bool(props.get("DeletionProtectionEnabled", False)),
            warm_throughput=None)
        self._settings({}, props)

    def _settings(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        dynamodb = self._dynamodb()
        pitr = bool((new.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"))
        was_pitr = bool((old.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"))
        if pitr != was_pitr:
            dynamodb.update_continuous_backups(self.physical_id, {"PointInTimeRecoveryEnabled": pitr})
        ttl, old_ttl = new.get("TimeToLiveSpecification"), old.get("TimeToLiveSpecification")
        if ttl != old_ttl:
            if ttl:
                dynamodb.update_time_to_live(self.physical_id, {"AttributeName": ttl["AttributeName"],
                                                                "Enabled": bool(ttl.get("Enabled"))})
            elif old_ttl:
                dynamodb.update_time_to_live(self.physical_id, {"AttributeName": old_ttl["AttributeName"],
                                                                "Enabled": False})

    def update(self, new: dict[str, Any]) -> None:
        dynamodb = self._dynamodb()
        old = self.properties
        mode, throughput = self._billing(new)
        before = {i["IndexName"]: self._index(i) for i in old.get("GlobalSecondaryIndexes") or []}
        after = {i["IndexName"]: self._index(i) for i in new.get("GlobalSecondaryIndexes") or []}
        updates: list[dict[str, Any]] = []
        for name, index in before.items():
            if after.get(name) != index:
                updates.append({"Delete": {"IndexName": name}})
        for name, index in after.items():
            if before.get(name) != index:
                updates.append({"Create": index})
        table = dynamodb.get_table(self.physical_id)
        table.attr = new["AttributeDefinitions"]
        if updates:
            dynamodb.update_table_global_indexes(table, updates)
        table.billing_mode = mode
        if throughput:
            table.throughput = {**throughput, "NumberOfDecreasesToday": 0}
        table.deletion_protection_enabled = bool(new.get("DeletionProtectionEnabled", False))
        table.sse_specification = self._sse(new)
        table.tags = list(new.get("Tags") or [])
        self._settings(old, new)

    def destroy(self) -> None:
        self._dynamodb().delete_table(self.physical_id)

    def attribute(self, name: str) -> Any:
        return self._dynamodb().get_table(self.physical_id).table_arn


register(Table)
