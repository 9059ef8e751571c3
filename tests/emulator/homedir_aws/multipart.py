"""Corrections j, k and t, multipart uploads: an upload ID names one upload of one key,
CompleteMultipartUpload checks part order, If-Match and the declared object size, and
ListParts answers with the root element the API Reference shows.

It exists because moto finds an upload by its id alone: an uploadId of one key, used on
another key of the same bucket, lists, uploads to, completes (into the ORIGINAL key) or
aborts that upload, so a user could act on another user's upload from their own home;
an unknown id is a 500 (KeyError) for UploadPart and CompleteMultipartUpload. Here
UploadPart, UploadPartCopy, ListParts, CompleteMultipartUpload and AbortMultipartUpload
whose uploadId is unknown, finished, or names an upload of another key or bucket answer
404 NoSuchUpload, as S3 does. CompleteMultipartUpload also gets what moto lacks: parts
not in ascending order are 400 InvalidPartOrder (moto's check never advances), and
If-Match is honoured (412 PreconditionFailed; a missing key 404 NoSuchKey, which the gate
(c) turns into 403 for issued keys), under the key's lock (correction i, s3.py), like
If-None-Match. Abort takes the key's lock too, so it cannot interleave with a Complete of
the same key. ListParts: moto names its root ListPartsResponse, which boto3 tolerates and
aws-sdk-rust rejects (k).

t. CompleteMultipartUpload's x-amz-mp-object-size header (MpuObjectSize): "The expected
   total object size of the multipart upload request. If there's a mismatch between the
   specified object size value and the actual object size value, it results in an HTTP
   400 InvalidRequest error."
   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html,
   Request headers.) moto ignores the header. Here the sizes of the parts the request
   lists are added up and compared before moto completes anything: a mismatch is 400
   InvalidRequest (so is a value that is not a whole number: the page does not say what
   S3 answers to that, the emulator reads it as a mismatch), nothing is stored and the
   upload is left as it was, as with every failed completion. The check runs under the key's lock
   with the others (correction i).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable
from xml.etree import ElementTree

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from .request import AwsRequest
from .s3errors import (
    INVALID_PART_ORDER,
    NO_SUCH_KEY,
    NO_SUCH_UPLOAD,
    OBJECT_SIZE_MISMATCH,
    PRECONDITION_FAILED,
    S3Error,
)
from .wsgi import StartResponse, header, read_body, rewrite_ok_body

UPLOAD_OPERATIONS = {
    "UploadPart", "UploadPartCopy", "ListParts", "CompleteMultipartUpload", "AbortMultipartUpload",
}
"""Operations that name an existing multipart upload by its uploadId."""


class MultipartUploads:
    """Correction j: an upload ID names one upload of one key, as in S3.

    - UploadPart, UploadPartCopy, ListParts, CompleteMultipartUpload and
      AbortMultipartUpload with an uploadId that does not exist (never did, or was
      aborted or completed) or that belongs to another key or bucket: 404 NoSuchUpload.
      "Multipart upload overview": "When you send a request to initiate a multipart
      upload, Amazon S3 returns a response with an upload ID, which is a unique
      identifier for your multipart upload. You must include this upload ID whenever
      you upload parts, list the parts, complete an upload, or stop an upload."
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html;
      NoSuchUpload in UploadPart, ListParts, AbortMultipartUpload and
      CompleteMultipartUpload (API Reference, "Errors"/"Special errors"):
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html,
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html.
      moto looks uploads up by id only (a user could list, fill, complete or abort
      another user's upload from a key in their own home) and answers an unknown id
      with a 500. moto's retry of a Complete whose object already stands at the same
      key (same upload id) stays a 200, as moto serves it.
    - CompleteMultipartUpload: parts must be listed in ascending part-number order, else
      400 InvalidPartOrder (moto never advances its "previous part" and lets any order
      through); If-Match: <etag> completes only over that current object, else 412
      PreconditionFailed, and a missing key is 404 NoSuchKey (403 AccessDenied to
      callers without s3:ListBucket, correction c), as PutObject's If-Match:
      https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html
      (Request headers: If-Match, If-None-Match);
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html.
      EntityTooSmall (a part other than the last under 5 MiB) and InvalidPart (a part
      not uploaded, or an ETag that does not match) are moto's own checks, which
      follow the API reference.
    Runs after authorization (S3 refuses an unauthorized caller with 403 before
    looking at the upload), and for Complete under the key's lock (correction i).
    """

    @staticmethod
    def error(environ: dict[str, Any], request: AwsRequest) -> S3Error | None:
        backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        bucket = backend.buckets.get(request.bucket)
        if bucket is None:
            return None  # moto answers NoSuchBucket
        upload_id = request.query.get("uploadId", "")
        upload = bucket.multiparts.get(upload_id)
        if upload is None or upload.key_name != request.key:
            if request.operation == "CompleteMultipartUpload" and upload is None:
                existing = backend.get_object(request.bucket, request.key)
                multipart = getattr(existing, "multipart", None)
                if multipart is not None and multipart.id == upload_id:
                    return None  # a retried Complete of this very upload
            return NO_SUCH_UPLOAD
        if request.operation != "CompleteMultipartUpload":
            return None
        numbers = _complete_part_numbers(read_body(environ))
        if numbers is not None and any(b <= a for a, b in zip(numbers, numbers[1:])):
            return INVALID_PART_ORDER
        declared = header(environ, "x-amz-mp-object-size").strip()
        if declared and numbers is not None and all(number in upload.parts for number in numbers):
            # (a part that was never uploaded is moto's InvalidPart, answered after this)
            if not declared.isdigit() or int(declared) != sum(upload.parts[n].size for n in numbers):
                return OBJECT_SIZE_MISMATCH
        if_match = header(environ, "If-Match")
        if if_match:
            current = backend.get_object(request.bucket, request.key)
            if current is None:
                return NO_SUCH_KEY
            if if_match.replace('"', "") != current.etag.replace('"', ""):
                return PRECONDITION_FAILED
        return None


def _complete_part_numbers(body: bytes) -> list[int] | None:
    """The PartNumber of each <Part> of a CompleteMultipartUpload body, in order;
    None if the body is not that XML (moto then answers MalformedXML)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    numbers = []
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Part":
            continue
        for child in element:
            if child.tag.rsplit("}", 1)[-1] == "PartNumber":
                try:
                    numbers.append(int((child.text or "").strip()))
                except ValueError:
                    return None
    return numbers


def list_parts_result(
    call: Callable[[StartResponse], Iterable[bytes]], start_response: StartResponse
) -> list[bytes]:
    """Correction k: ListParts answers with the root element `ListPartsResult`, as the
    S3 API Reference's response syntax shows
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html); moto 5.2.5
    names it `ListPartsResponse`, which boto3 tolerates and aws-sdk-rust rejects."""
    return rewrite_ok_body(call, start_response, lambda body: body.replace(
        b"<ListPartsResponse", b"<ListPartsResult", 1).replace(b"</ListPartsResponse>", b"</ListPartsResult>", 1))
