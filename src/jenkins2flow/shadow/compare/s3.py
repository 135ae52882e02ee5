"""S3 prefixes: object listings (keys relative to each prefix) and SHA-256 of their contents, read in chunks."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from jenkins2flow_runtime.extras import MissingExtra, require
from jenkins2flow_runtime.model.shadow import S3Output

from jenkins2flow.shadow.normalize import Normalizer
from jenkins2flow.shadow.outcome import Difference, OutputResult

CHUNK = 1 << 20


def split_s3(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"{url!r} is not an s3://bucket/prefix URL")
    return parts.netloc, parts.path.lstrip("/")


def listing(client: Any, url: str) -> dict[str, tuple[int, str]]:
    """relative key -> (size, sha256) for every object under `url`."""
    bucket, prefix = split_s3(url)
    out: dict[str, tuple[int, str]] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            digest = hashlib.sha256()
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"]
            while chunk := body.read(CHUNK):
                digest.update(chunk)
            out[obj["Key"][len(prefix):].lstrip("/")] = (obj["Size"], digest.hexdigest())
    return out


def compare_s3(output: S3Output, norm: Normalizer, client: Any = None) -> OutputResult:
    result = OutputResult(output.label, "s3")
    b_url = output.baseline_prefix or output.prefix
    c_url = output.candidate_prefix or output.prefix
    try:
        if client is None:
            boto3 = require("boto3", "aws", "Comparing S3 outputs")
            client = boto3.client("s3", endpoint_url=output.endpoint_url or None)
        b, c = listing(client, b_url), listing(client, c_url)
    except MissingExtra as exc:
        result.status, result.error = "error", str(exc)
        return result
    except ValueError as exc:
        result.status, result.error = "error", f"{exc}; declare s3 outputs as s3://bucket/prefix."
        return result
    except Exception as exc:  # noqa: BLE001 - botocore raises many types; all mean "could not list"
        result.status, result.error = "error", f"Could not read the S3 prefixes: {type(exc).__name__}: {exc}"
        return result
    names_b = {norm.text(k): k for k in b}
    names_c = {norm.text(k): k for k in c}
    for name in sorted(set(names_b) | set(names_c)):
        result.compared += 1
        if name not in names_c:
            result.add(Difference(name, "missing", f"{b[names_b[name]][0]} bytes", None, "object only in the baseline"))
        elif name not in names_b:
            result.add(Difference(name, "extra", None, f"{c[names_c[name]][0]} bytes", "object only in the candidate"))
        else:
            (bs, bh), (cs, ch) = b[names_b[name]], c[names_c[name]]
            if bh != ch:
                result.add(Difference(name, "changed", f"{bs} bytes sha256 {bh[:12]}", f"{cs} bytes sha256 {ch[:12]}",
                                      "content differs"))
    result.summary = f"{len(b)} baseline objects under {b_url}, {len(c)} candidate objects under {c_url}"
    return result.finish()
