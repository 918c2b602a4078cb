"""Check the DVC remote before `make push` / `make pull` / `make status` talk to it.

DVC reports a closed port, a missing bucket or a wrong key as "unexpected error" with a
one-line botocore summary (a wrong key shows as a bare "403 Forbidden"). This check asks the
remote one cheap question first (list one object under its prefix) and, when that fails,
names the problem and the setting that fixes it. Nothing is uploaded or changed.

    python -m {{ cookiecutter.module_name }}.ops.remote check             # before a push
    python -m {{ cookiecutter.module_name }}.ops.remote check --for pull  # the remote must hold data
    python -m {{ cookiecutter.module_name }}.ops.remote set s3://bucket/prefix --endpoint http://host:9000  # make remote

Settings come from DVC's own config (.dvc/config, then .dvc/config.local, which git ignores),
credentials from there or from the usual AWS places (environment, AWS_PROFILE, ~/.aws).
"""

import argparse
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from ..core.dvc_remote import RemoteError, credentials_source, default_remote, s3_client


def check_local(name: str, settings: dict, for_pull: bool) -> str:
    """A directory remote: it must exist to pull from, and be creatable to push to."""
    url = urlparse(settings["url"])
    directory = Path(url.path if url.scheme == "file" else settings["url"])
    if for_pull and not directory.is_dir():
        raise RemoteError(
            f"remote {name!r} is the directory {directory}, which does not exist on this machine: "
            "nothing has been pushed there yet, or the team's data lives elsewhere; "
            "point the remote at it with `make remote URL=s3://bucket/prefix` (or the shared directory)"
        )
    existing = next(parent for parent in [directory, *directory.parents] if parent.exists())
    if not for_pull and not os.access(existing, os.W_OK):
        raise RemoteError(
            f"remote {name!r}: cannot write to {existing} (needed to store {directory}): check its permissions"
        )
    return f"remote {name!r}: directory {directory}"


def check_s3(name: str, settings: dict) -> str:
    """List at most one object under the remote's prefix; turn each failure into advice."""
    from botocore.exceptions import (  # only for an S3 remote (botocore comes with dvc[s3])
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    url = urlparse(settings["url"])
    bucket, prefix = url.netloc, url.path.lstrip("/")
    endpoint = settings.get("endpointurl") or "AWS S3"
    where = f"remote {name!r} ({settings['url']} at {endpoint})"
    how_to_set_keys = (
        "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE=<a profile in ~/.aws>, "
        f"or keep them out of git with `dvc remote modify --local {name} access_key_id ...` "
        f"and `dvc remote modify --local {name} secret_access_key ...`"
    )
    anonymous = settings.get("allow_anonymous_login")
    try:
        client, session = s3_client(settings)
        credentials = None if anonymous else session.get_credentials()
        if credentials is None and not anonymous:
            raise RemoteError(f"{where}: no AWS credentials found: {how_to_set_keys}")
        client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except ProfileNotFound as error:
        raise RemoteError(f"{where}: {error}: set AWS_PROFILE to a profile that ~/.aws defines") from None
    except PartialCredentialsError as error:
        raise RemoteError(f"{where}: incomplete AWS credentials ({error}): {how_to_set_keys}") from None
    except (EndpointConnectionError, ConnectTimeoutError):
        raise RemoteError(
            f"{where}: cannot reach {endpoint}: is the server running and the address right? "
            f"Change it with `dvc remote modify {'--local ' if 'endpointurl' in settings['local_keys'] else ''}"
            f"{name} endpointurl http(s)://host:port`"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        used = credentials_source(credentials)
        if code == "NoSuchBucket":
            create = f"aws s3 mb s3://{bucket}"
            if settings.get("endpointurl"):
                create += f" --endpoint-url {settings['endpointurl']}"
            raise RemoteError(
                f"{where}: bucket {bucket!r} does not exist: create it (`{create}`) "
                "or point the remote at an existing one with `make remote URL=s3://bucket/prefix`"
            ) from None
        if code == "InvalidAccessKeyId":
            raise RemoteError(f"{where}: the server does not know the {used}: fix it, or {how_to_set_keys}") from None
        if code == "SignatureDoesNotMatch":
            raise RemoteError(
                f"{where}: the secret key does not match the {used}: fix AWS_SECRET_ACCESS_KEY "
                "(or secret_access_key in .dvc/config.local, or ~/.aws/credentials)"
            ) from None
        if code in ("AccessDenied", "403", "Forbidden"):
            raise RemoteError(
                f"{where}: access denied for the {used}: it needs s3:ListBucket, s3:GetObject and "
                f"s3:PutObject on bucket {bucket!r}; ask for them, or {how_to_set_keys}"
            ) from None
        message = error.response.get("Error", {}).get("Message", str(error))
        raise RemoteError(f"{where}: the server refused with {code or 'an error'}: {message}") from None
    return f"remote {name!r}: {settings['url']} at {endpoint}, {credentials_source(credentials)}"


def check(for_pull: bool = False) -> str:
    """Raise RemoteError unless the default remote answers; return a one-line description of it."""
    name, settings = default_remote()
    scheme = urlparse(settings["url"]).scheme
    if scheme == "s3":
        return check_s3(name, settings)
    if scheme in ("", "file") or len(scheme) == 1:  # a path (a drive letter on Windows)
        return check_local(name, settings, for_pull)
    return f"remote {name!r}: {settings['url']} (not checked: only s3:// and directories are)"


# --- Moving the remote (make remote) ------------------------------------------------------
# The same rules as the template's answers (hooks/pre_gen_project.py), for the same reasons.
S3_URL = re.compile(r"s3://(?P<bucket>[^/\s]+)(/\S*)?")
# AWS's bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html),
# which MinIO and Ceph follow too.
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]+(\.[0-9]+){3}")
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
ENDPOINT = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?")
NOT_A_DIRECTORY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:|s3/).*|.*\\.*", re.DOTALL)
USAGE = "usage: make remote URL=s3://bucket/prefix [ENDPOINT=http://host:9000], or URL=/a/directory"


def bucket_problem(bucket: str) -> str | None:
    """What breaks AWS's naming rules in an S3 bucket name, or None."""
    if not S3_BUCKET.fullmatch(bucket):
        return "3-63 lowercase letters, digits, dots or dashes, starting and ending with a letter or digit"
    if ".." in bucket:
        return "no two dots in a row"
    if IP_ADDRESS.fullmatch(bucket):
        return f"not formatted as an IP address, as {bucket!r} is"
    if bucket.startswith(RESERVED_BUCKET_PREFIXES) or bucket.endswith(RESERVED_BUCKET_SUFFIXES):
        return f"none of the prefixes {', '.join(RESERVED_BUCKET_PREFIXES)} or suffixes AWS reserves"
    return None


def filesystem_root(path: str) -> bool:
    """Whether a directory is a file system's root ("/", "/..") or a home folder ("~"): DVC would
    scatter its files/ and tmp/ folders among everything else there."""
    normal = posixpath.normpath(path.strip()) if path.strip() else ""
    return normal in ("/", "//") or bool(re.fullmatch(r"~[^/]*", normal))


def checked_location(url: str, endpoint: str) -> None:
    """Raise RemoteError unless `url` (and `endpoint`) name a remote this project can use."""
    if not url:
        raise RemoteError(USAGE)
    if any(ord(char) < 32 or ord(char) == 0x7F for char in url + endpoint):
        raise RemoteError("URL and ENDPOINT must be one line of text without control characters")
    if url.startswith("s3://"):
        match = S3_URL.fullmatch(url)
        if not match:
            raise RemoteError(
                f"URL {url!r} is not a valid S3 URL: use s3://bucket/prefix with a bucket name of 3-63 "
                "lowercase letters, digits, dots or dashes, and no spaces"
            )
        broken_rule = bucket_problem(match["bucket"])
        if broken_rule:
            raise RemoteError(
                f"URL {url!r} is not a valid S3 URL: use s3://bucket/prefix with a bucket name that follows "
                f"AWS's naming rules: {broken_rule}"
            )
    elif NOT_A_DIRECTORY.fullmatch(url) or not url.startswith(("/", "~")):
        raise RemoteError(
            f"URL {url!r} is neither an s3:// URL nor an absolute directory path: use s3://bucket/prefix or "
            "a directory such as /srv/dvc-storage (other schemes, and relative paths, which DVC would resolve "
            "from .dvc/, are not supported here)"
        )
    elif filesystem_root(url):
        raise RemoteError(
            f"URL {url!r} is the root of a file system or a home folder: DVC would write its folders among "
            "everything else there; give a directory of its own, e.g. /srv/dvc-storage"
        )
    if endpoint and not url.startswith("s3://"):
        raise RemoteError("ENDPOINT is only for s3:// URLs: leave it out for a directory")
    if endpoint and ("@" in endpoint or not ENDPOINT.fullmatch(endpoint)):
        raise RemoteError(
            f"ENDPOINT {endpoint!r} is not an http(s) URL without credentials: use e.g. http://127.0.0.1:9000 "
            "(keys go in the environment or .dvc/config.local)"
        )


def set_remote(name: str, url: str, endpoint: str) -> None:
    """Point remote `name` at `url` (and S3 `endpoint`) in .dvc/config, with DVC's own commands."""
    checked_location(url, endpoint)

    def dvc(*args: str) -> None:  # arguments as a list: no shell ever sees the values
        result = subprocess.run(
            [sys.executable, "-m", "dvc", "remote", "modify", *args], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RemoteError(f"dvc remote modify {' '.join(args[:2])} failed: {result.stderr.strip()}")

    if endpoint:
        dvc(name, "url", url)
        dvc(name, "endpointurl", endpoint)
    else:  # DVC refuses a directory URL while an endpoint is set: unset that first
        dvc("--unset", name, "endpointurl")
        dvc(name, "url", url)
    where = f" at {endpoint}" if endpoint else ""
    print(f"Remote {name!r} is now {url}{where}. Next: make push, then git commit .dvc/config")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    set_parser = commands.add_parser("set", help="point a DVC remote at an S3 URL or a directory")
    set_parser.add_argument("url", help="s3://bucket/prefix or a directory")
    set_parser.add_argument("--endpoint", default="", help="S3 endpoint for S3-compatible stores")
    set_parser.add_argument("--name", default="storage", help="the DVC remote to change")
    check_parser = commands.add_parser("check", help="check that the default DVC remote can be used")
    check_parser.add_argument(
        "--for",
        dest="purpose",
        choices=("push", "pull", "status"),
        default="push",
        help="pull: the remote must already hold data",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "set":
            set_remote(args.name, args.url.strip(), args.endpoint.strip())
        else:
            print(f"ok: {check(for_pull=args.purpose == 'pull')}")
    except RemoteError as error:
        print(f"error: {error}", file=sys.stderr)
        print("Nothing was sent or changed; fix the above and run the command again.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
