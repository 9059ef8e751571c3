"""z. The S3 resource models of the emulator's CloudFormation (cfn.py): the bucket with
every setting the template gives it, and the bucket policy, as the Template Reference
documents AWS::S3::Bucket and AWS::S3::BucketPolicy. moto's own bucket model applied
encryption and tags only. The settings are stored in moto's S3, so the S3 API answers
them (GetBucketVersioning, GetBucketLifecycleConfiguration, GetBucketCors,
GetPublicAccessBlock, GetBucketOwnershipControls, GetBucketEncryption, GetBucketPolicy),
and the emulator acts on those it emulates: versioning (versions.py), the CORS rules
(cors.py), the bucket policy (the S3 gate, s3gate.py), the notification configuration's
Lambda destinations (s3events.py: validated when put, as S3 validates them, then every
object created or removed is delivered). Lifecycle rules run on days, which a local run
never sees: they are kept and answered, and run when a test asks (POST
/_homedir/s3/lifecycle, s3events.py).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html

Also corrected in moto's S3 (for the API as for the model): a lifecycle rule's
NoncurrentVersionExpiration.NewerNoncurrentVersions is kept and answered (moto dropped it).
https://docs.aws.amazon.com/AmazonS3/latest/API/API_NoncurrentVersionExpiration.html
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from moto.s3.models import FakeBucket, s3_backends
from moto.s3.responses import S3Response

from .cfn import ANY, Model, TemplateError, json_text, register

NEWER_VERSIONS = "homedir_newer_noncurrent_versions"


def _s3(account_id: str) -> Any:
    return s3_backends[account_id]["aws"]


class Bucket(Model):
    """AWS::S3::Bucket. Replacement when BucketName changes; every other property is
    updated in place (a setting the template drops is removed from the bucket)."""

    TYPE = "AWS::S3::Bucket"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html"
    NAME_PROPERTY = "BucketName"
    PROPERTIES = {
        "BucketName": ANY,
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": ANY}, "BucketKeyEnabled": ANY}]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": ANY}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": ANY, "BlockPublicPolicy": ANY,
                                           "IgnorePublicAcls": ANY, "RestrictPublicBuckets": ANY},
        "VersioningConfiguration": {"Status": ANY},
        "LifecycleConfiguration": {"Rules": [{
            "Id": ANY, "Status": ANY, "Prefix": ANY, "ExpirationInDays": ANY, "ExpiredObjectDeleteMarker": ANY,
            "NoncurrentVersionExpiration": {"NoncurrentDays": ANY, "NewerNoncurrentVersions": ANY},
            "NoncurrentVersionExpirationInDays": ANY,
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ANY}}]},
        "CorsConfiguration": {"CorsRules": [{"Id": ANY, "AllowedOrigins": ANY, "AllowedMethods": ANY,
                                             "AllowedHeaders": ANY, "ExposedHeaders": ANY, "MaxAge": ANY}]},
        "NotificationConfiguration": {"LambdaConfigurations": [{
            "Event": ANY, "Function": ANY, "Filter": {"S3Key": {"Rules": [{"Name": ANY, "Value": ANY}]}}}]},
        "Tags": [{"Key": ANY, "Value": ANY}],
    }
    REPLACEMENT = frozenset({"BucketName"})
    ATTRIBUTES = frozenset({"Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"})

    def create(self) -> None:
        self.physical_id = self.properties.get("BucketName") or self.name
        _s3(self.account_id).create_bucket(self.physical_id, self.region)
        self._apply(self.properties)

    def update(self, new: dict[str, Any]) -> None:
        self._apply(new)

    def _apply(self, props: dict[str, Any]) -> None:
        s3 = _s3(self.account_id)
        name = self.physical_id
        bucket = s3.get_bucket(name)

        rules = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
        for rule in rules:
            algorithm = (rule.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
            if algorithm != "AES256":
                raise self.fail("BucketEncryption...SSEAlgorithm", f"{algorithm} needs KMS, which is not emulated")
        if rules:  # S3 keeps one rule (moto's shape: the XML's, one Rule element)
            rule = rules[0]
            s3.put_bucket_encryption(name, {"Rule": {
                "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                **({"BucketKeyEnabled": str(rule["BucketKeyEnabled"]).lower()} if "BucketKeyEnabled" in rule else {}),
            }})
        else:
            s3.delete_bucket_encryption(name)

        ownership = (props.get("OwnershipControls") or {}).get("Rules") or []
        if ownership:
            s3.put_bucket_ownership_controls(name, ownership[0]["ObjectOwnership"])
        else:
            s3.delete_bucket_ownership_controls(name)

        block = props.get("PublicAccessBlockConfiguration")
        if block:
            s3.put_public_access_block(name, {key: str(bool(value)).lower() for key, value in block.items()})
        else:
            s3.delete_public_access_block(name)

        status = (props.get("VersioningConfiguration") or {}).get("Status")
        if status is not None and status not in ("Enabled", "Suspended"):
            raise self.fail("VersioningConfiguration.Status", f"value {status} is not Enabled or Suspended")
        if status:
            s3.put_bucket_versioning(name, status)
        elif bucket.versioning_status:
            raise TemplateError(f"{self.logical_resource_id} ({self.TYPE}): a versioned bucket cannot be "
                                "unversioned, only suspended (VersioningConfiguration.Status: Suspended)")

        lifecycle = (props.get("LifecycleConfiguration") or {}).get("Rules") or []
        if lifecycle:
            s3.put_bucket_lifecycle(name, [self._lifecycle_rule(rule) for rule in lifecycle])
        else:
            s3.delete_bucket_lifecycle(name)

        cors = (props.get("CorsConfiguration") or {}).get("CorsRules") or []
        if cors:
            s3.put_bucket_cors(name, [self._cors_rule(rule) for rule in cors])
        else:
            s3.delete_bucket_cors(name)

        tags = {tag["Key"]: tag["Value"] for tag in props.get("Tags") or []}
        s3.put_bucket_tagging(name, tags)

        functions = (props.get("NotificationConfiguration") or {}).get("LambdaConfigurations") or []
        if functions or bucket.notification_configuration is not None:
            # Validated as PutBucketNotificationConfiguration validates it (s3events.py).
            s3.put_bucket_notification_configuration(name, {"CloudFunctionConfiguration": [
                self._notification(entry) for entry in functions]} if functions else {})

    @staticmethod
    def _notification(entry: dict[str, Any]) -> dict[str, Any]:
        """A CloudFormation LambdaConfiguration as S3's NotificationConfiguration XML
        reads (moto's input): S3 gives it an id, as it does when the request names none."""
        converted: dict[str, Any] = {"CloudFunction": entry["Function"], "Event": [entry["Event"]]}
        rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        if rules:
            converted["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]}
                                                            for r in rules]}}
        return converted

    @staticmethod
    def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
        """A CloudFormation Rule as S3's LifecycleConfiguration XML reads (moto's input)."""
        converted: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"],
                                     "Filter": {"Prefix": rule.get("Prefix") or ""}}
        expiration: dict[str, Any] = {}
        if "ExpirationInDays" in rule:
            expiration["Days"] = str(rule["ExpirationInDays"])
        if rule.get("ExpiredObjectDeleteMarker") is not None:
            expiration["ExpiredObjectDeleteMarker"] = str(bool(rule["ExpiredObjectDeleteMarker"])).lower()
        if expiration:
            converted["Expiration"] = expiration
        noncurrent = dict(rule.get("NoncurrentVersionExpiration") or {})
        if "NoncurrentVersionExpirationInDays" in rule:
            noncurrent.setdefault("NoncurrentDays", rule["NoncurrentVersionExpirationInDays"])
        if noncurrent:
            converted["NoncurrentVersionExpiration"] = {key: str(value) for key, value in noncurrent.items()}
        abort = rule.get("AbortIncompleteMultipartUpload")
        if abort:
            converted["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": str(abort["DaysAfterInitiation"])}
        return converted

    @staticmethod
    def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
        """A CloudFormation CorsRule as S3's CORSConfiguration XML reads (moto's input)."""
        converted: dict[str, Any] = {"AllowedOrigin": list(rule["AllowedOrigins"]),
                                     "AllowedMethod": list(rule["AllowedMethods"])}
        if rule.get("AllowedHeaders"):
            converted["AllowedHeader"] = list(rule["AllowedHeaders"])
        if rule.get("ExposedHeaders"):
            converted["ExposeHeader"] = list(rule["ExposedHeaders"])
        if rule.get("MaxAge") is not None:
            converted["MaxAgeSeconds"] = str(rule["MaxAge"])
        if rule.get("Id"):
            converted["ID"] = rule["Id"]
        return converted

    def destroy(self) -> None:
        _s3(self.account_id).delete_bucket(self.physical_id)

    def attribute(self, name: str) -> Any:
        return _s3(self.account_id).get_bucket(self.physical_id).get_cfn_attribute(name)


class BucketPolicy(Model):
    """AWS::S3::BucketPolicy: the policy stored on the bucket as JSON text (PutBucketPolicy),
    answered by GetBucketPolicy and evaluated by the emulator's S3 gate with every issued
    key's request (moto's own condition-blind check is off: s3.py). Replacement when Bucket
    changes."""

    TYPE = "AWS::S3::BucketPolicy"
    PAGE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html"
    PROPERTIES = {"Bucket": ANY, "PolicyDocument": ANY}
    REPLACEMENT = frozenset({"Bucket"})

    def create(self) -> None:
        self.physical_id = self.properties["Bucket"]
        self.update(self.properties)

    def update(self, new: dict[str, Any]) -> None:
        _s3(self.account_id).put_bucket_policy(new["Bucket"], json_text(new["PolicyDocument"]).encode())

    def destroy(self) -> None:
        try:
            _s3(self.account_id).delete_bucket_policy(self.physical_id)
        except Exception:  # the bucket is gone already
            pass


# --------------------------------------------------------------------------
# NewerNoncurrentVersions, kept and answered
# --------------------------------------------------------------------------


def _keep_newer_versions(original: Any) -> Any:
    def set_lifecycle(bucket: FakeBucket, rules: list[dict[str, Any]]) -> None:
        original(bucket, rules)
        for stored, given in zip(bucket.rules, rules):
            newer = (given.get("NoncurrentVersionExpiration") or {}).get("NewerNoncurrentVersions")
            setattr(stored, NEWER_VERSIONS, newer)
    return set_lifecycle


def _answer_newer_versions(original: Any) -> Any:
    def get_bucket_lifecycle(response: S3Response) -> Any:
        answer = original(response)
        bucket = response.backend.get_bucket(response.bucket_name)
        newer = [getattr(rule, NEWER_VERSIONS, None) for rule in bucket.rules]
        if not any(value is not None for value in newer):
            return answer
        status, headers, body = answer if isinstance(answer, tuple) else (200, {}, answer)
        text = body.decode() if isinstance(body, bytes) else body
        namespace = text.split("xmlns=\"", 1)[1].split("\"", 1)[0] if "xmlns=\"" in text else ""
        ns = f"{{{namespace}}}" if namespace else ""
        ElementTree.register_namespace("", namespace)
        root = ElementTree.fromstring(text)
        for rule, value in zip(root.iter(f"{ns}Rule"), newer):
            expiration = rule.find(f"{ns}NoncurrentVersionExpiration")
            if value is not None and expiration is not None:
                ElementTree.SubElement(expiration, f"{ns}NewerNoncurrentVersions").text = str(value)
        rendered = ElementTree.tostring(root, encoding="unicode", xml_declaration=False)
        return status, headers, '<?xml version="1.0" encoding="UTF-8"?>' + rendered
    return get_bucket_lifecycle


def install() -> None:
    FakeBucket.set_lifecycle = _keep_newer_versions(FakeBucket.set_lifecycle)
    S3Response.get_bucket_lifecycle = _answer_newer_versions(S3Response.get_bucket_lifecycle)


register(Bucket, BucketPolicy)
