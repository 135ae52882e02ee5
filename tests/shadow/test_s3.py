"""S3 prefixes compared through boto3 against a moto server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jenkins2flow_runtime.model.shadow import S3Output

from jenkins2flow.shadow.compare.s3 import compare_s3
from jenkins2flow.shadow.normalize import Normalizer


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    from moto.server import ThreadedMotoServer

    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=url)
    try:
        yield client, url
    finally:
        client.close()
        server.stop()


def test_s3_listing_and_content_hashes(s3: tuple[object, str]) -> None:
    client, url = s3
    client.create_bucket(Bucket="lake")  # type: ignore[attr-defined]
    put = client.put_object  # type: ignore[attr-defined]
    for prefix, north in (("prod/sales", b"162.75"), ("shadow/sales", b"162.57")):
        put(Bucket="lake", Key=f"{prefix}/2026-01-15/totals.csv", Body=b"north," + north)
        put(Bucket="lake", Key=f"{prefix}/2026-01-15/orders.csv", Body=b"1,north,120.50")
    put(Bucket="lake", Key="prod/sales/2026-01-15/_SUCCESS", Body=b"")
    out = S3Output(kind="s3", baseline_prefix="s3://lake/prod/sales/", candidate_prefix="s3://lake/shadow/sales/",
                   endpoint_url=url)
    r = compare_s3(out, Normalizer())
    assert {(d.location, d.kind) for d in r.differences} == {
        ("2026-01-15/totals.csv", "changed"), ("2026-01-15/_SUCCESS", "missing")}
    assert r.status == "different" and r.compared == 3


def test_s3_unreachable_is_an_error_not_a_crash(s3: tuple[object, str]) -> None:
    out = S3Output(kind="s3", prefix="s3://no-such-bucket/x/", endpoint_url=s3[1])
    r = compare_s3(out, Normalizer())
    assert r.status == "error" and "NoSuchBucket" in r.error
    r = compare_s3(S3Output(kind="s3", prefix="lake/x"), Normalizer())
    assert r.status == "error" and "s3://bucket/prefix" in r.error
