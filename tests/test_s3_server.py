"""The S3 fixture itself: a real server that stores what it is given."""


def test_bucket_round_trip(s3_server, s3_bucket):
    # given an empty bucket on the moto server
    client = s3_server.client()
    assert s3_server.keys(s3_bucket) == []
    # when an object is stored
    client.put_object(Bucket=s3_bucket, Key="a/b.txt", Body=b"hello")
    # then it is listed and reads back byte for byte
    assert s3_server.keys(s3_bucket) == ["a/b.txt"]
    assert client.get_object(Bucket=s3_bucket, Key="a/b.txt")["Body"].read() == b"hello"
