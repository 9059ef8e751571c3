"""Folders in a versioned bucket (correction o): a folder whose files are all deleted
is no longer a CommonPrefix of a listing, as in S3 (the web page's folder delete)."""

from __future__ import annotations

import uuid

from harness import Emulator, client


def test_a_folder_of_deleted_files_is_not_listed(emulator: Emulator, stack: dict[str, str]) -> None:
    s3 = client(emulator, "s3")
    bucket = stack["BUCKET_NAME"]
    root = f"folders-{uuid.uuid4().hex[:8]}/"
    for key in ("gone/a.txt", "gone/deeper/b.txt", "kept/c.txt", "top.txt"):
        s3.put_object(Bucket=bucket, Key=root + key, Body=b"x")

    def folders(prefix: str = root) -> list[str]:
        answer = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, Delimiter="/")
        return [p["Prefix"] for p in answer.get("CommonPrefixes", [])]

    assert folders() == [root + "gone/", root + "kept/"]
    s3.delete_object(Bucket=bucket, Key=root + "gone/a.txt")
    assert folders() == [root + "gone/", root + "kept/"], "one live file keeps the folder"
    s3.delete_object(Bucket=bucket, Key=root + "gone/deeper/b.txt")
    assert folders() == [root + "kept/"]
    assert folders(root + "gone/") == []
    # History still has them, and restoring one brings the folder back.
    versions = s3.list_object_versions(Bucket=bucket, Prefix=root + "gone/")
    assert len(versions["DeleteMarkers"]) == 2
    old = next(v for v in versions["Versions"] if v["Key"] == root + "gone/a.txt")
    s3.copy_object(Bucket=bucket, Key=root + "gone/a.txt",
                   CopySource={"Bucket": bucket, "Key": root + "gone/a.txt", "VersionId": old["VersionId"]})
    assert folders() == [root + "gone/", root + "kept/"]
    # Without a delimiter nothing changes: deleted files are simply not listed.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=root)["Contents"]]
    assert keys == [root + "gone/a.txt", root + "kept/c.txt", root + "top.txt"]
