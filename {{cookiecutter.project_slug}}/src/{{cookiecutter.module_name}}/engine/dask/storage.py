"""Where a Dask cluster's workers read their data (compute.storage in params.yaml).

    compute.storage: ""                    workers open data/raw and data/processed by absolute path:
                                           right for a LocalCluster, or a cluster sharing this filesystem
    compute.storage: s3://bucket/prefix    the stage uploads the files its workers read to
                                           s3://bucket/prefix/<sha256 of the file>/<file name>, and
                                           the workers read them from there with s3fs

An object's key is its content's hash, so a file that has not changed is not uploaded again,
and runs of different branches never overwrite each other's files. The outputs that DVC tracks
(data/processed, models, reports) stay local files, as with every other setting.

The endpoint and the credentials are the DVC remote's (core/dvc_remote.py reads its config): its
endpointurl, region and keys in .dvc/config(.local), else the usual AWS places (environment,
AWS_PROFILE, ~/.aws). The stage resolves the credentials and sends them to the workers with
their tasks, so the workers need no AWS setup of their own; nothing is written to a file.

preprocess's workers read the main table's CSV files and write their parquet parts: with an
s3:// storage the stage uploads those files the same way, the workers fetch a copy to their
temporary folder (worker_path) and write the parts under <prefix>/outputs/<random id>, which
the stage downloads into data/processed and then deletes.

Workers call only open_input(), open_output() and worker_path(); the rest runs in the stage.
"""

import hashlib
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import fsspec

from ...core.dvc_remote import RemoteError, credentials_source, default_remote, s3_client
from ...core.errors import PipelineError

SETTING = "params.yaml: compute.storage"
S3_URL = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/(?P<prefix>[A-Za-z0-9._/-]*))?")


@dataclass(frozen=True)
class WorkerFiles:
    """One processed split as the workers see it: its parquet files in order, each by the stage's
    own path (`local`, for metadata) and by the name a worker opens (`names`: an absolute path
    or an s3:// URL), with the s3fs settings that open them (`options`; empty for paths)."""

    local: list[Path]
    names: list[str]
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerStorage:
    """Where workers read: the workspace (url "") or staged copies under an s3:// URL."""

    url: str = ""
    options: dict = field(default_factory=dict)

    def files(self, split: Path) -> WorkerFiles:
        """A split (one parquet file, or a folder of parts) for the workers, uploaded first if staged."""
        split = split.resolve()
        local = sorted(split.glob("*.parquet")) if split.is_dir() else [split]
        if not self.url:
            return WorkerFiles(local, [str(path) for path in local])
        return WorkerFiles(local, [self._staged(path) for path in local], self.options)

    def staged_files(self, paths: list[Path]) -> dict:
        """For workers that open files the stage names by path (preprocess's raw tables): each
        uploaded, {"names": {path: URL}, "options": s3fs settings} for worker_path(); {} without storage."""
        if not self.url:
            return {}
        return {"names": {str(path): self._staged(path) for path in paths}, "options": self.options}

    def output_folder(self, folder: Path) -> tuple[str, dict]:
        """Where workers write the files meant for `folder`, and the s3fs settings to write there:
        the folder itself, or a new prefix under compute.storage that collect() empties."""
        if not self.url:
            return str(folder.resolve()), {}
        return f"{self.url.rstrip('/')}/outputs/{uuid.uuid4().hex}", self.options

    def collect(self, output: str, folder: Path) -> None:
        """The files workers wrote under an output_folder() prefix, downloaded into `folder` (the
        same relative paths) and deleted from the bucket."""
        if not self.url:
            return
        import s3fs  # only with an s3:// storage

        filesystem = s3fs.S3FileSystem(**self.options)
        prefix = output.removeprefix("s3://")
        try:
            for key in filesystem.find(prefix):
                target = folder / key.removeprefix(f"{prefix}/")
                target.parent.mkdir(parents=True, exist_ok=True)
                filesystem.get_file(key, str(target))
            filesystem.rm(prefix, recursive=True)
        except OSError as error:
            raise PipelineError(f"{SETTING}: cannot fetch the workers' files from {output} ({error})") from None

    def _staged(self, path: Path) -> str:
        """The file's URL under compute.storage, uploaded unless an object of that content is there."""
        import s3fs  # only with an s3:// storage

        url = f"{self.url.rstrip('/')}/{sha256(path)}/{path.name}"
        filesystem = s3fs.S3FileSystem(**self.options)
        try:
            if not filesystem.exists(url):
                filesystem.put_file(str(path), url)
        except OSError as error:  # s3fs turns S3's refusals into PermissionError, FileNotFoundError...
            raise PipelineError(
                f"{SETTING}: cannot upload {path.name} to {url} ({type(error).__name__}: {error}); the keys need "
                "s3:PutObject and s3:GetObject on that prefix (s3:ListBucket, s3:DeleteObject too)"
            ) from None
        return url


def open_input(name: str, options: dict) -> IO[bytes]:
    """On a worker: a file a WorkerFiles names, opened for reading (a path, or an s3:// URL via s3fs)."""
    return fsspec.open(name, "rb", **options).open()


def open_output(name: str, options: dict) -> IO[bytes]:
    """On a worker: a file to write (a path in an existing folder, or an s3:// URL via s3fs)."""
    return fsspec.open(name, "wb", **options).open()


def worker_path(path: Path, staged: dict) -> Path:
    """On a worker: the file the stage named `path`, readable here: `path` itself, or, when
    staged_files() staged it, a copy of its object in this machine's temporary folder (fetched
    once: the name holds the content's hash)."""
    url = staged["names"].get(str(path)) if staged else None
    if url is None:
        return path
    import s3fs  # only with an s3:// storage

    copy = Path(tempfile.gettempdir()) / "cd4ml-storage" / url.split("/")[-2] / Path(path).name
    if not copy.exists():
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(f".{copy.name}.{uuid.uuid4().hex}")  # never a half-fetched copy under its name
        s3fs.S3FileSystem(**staged["options"]).get_file(url, str(partial))
        os.replace(partial, copy)
    return copy


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def storage_url(params: dict) -> str:
    """compute.storage, checked: "" or s3://bucket/prefix."""
    url = (params.get("compute") or {}).get("storage") or ""
    if not isinstance(url, str) or (url and not S3_URL.fullmatch(url)):
        raise PipelineError(
            f"{SETTING} is {url!r}: use s3://bucket/prefix (a bucket name of 3-63 lowercase letters, digits, dots "
            'or dashes; a prefix of letters, digits and . _ / -), or "" for workers that read the workspace paths'
        )
    return url


def worker_storage(params: dict) -> WorkerStorage:
    """Where this stage's workers read: checked, and for s3:// reachable with the keys found."""
    url = storage_url(params)
    if not url or (params.get("compute") or {}).get("engine") != "dask":
        return WorkerStorage()
    settings = _dvc_remote_s3_settings()
    credentials = _check_bucket(url, settings)
    options: dict = {"anon": credentials is None, "use_ssl": settings.get("use_ssl", True)}
    if credentials is not None:
        options |= {"key": credentials.access_key, "secret": credentials.secret_key, "token": credentials.token}
    if settings.get("endpointurl"):
        options["endpoint_url"] = settings["endpointurl"]
    client_kwargs = {"region_name": settings.get("region"), "verify": settings.get("ssl_verify")}
    options["client_kwargs"] = {key: value for key, value in client_kwargs.items() if value is not None}
    return WorkerStorage(url, options)


def _dvc_remote_s3_settings() -> dict:
    """The default DVC remote's settings when it is on S3 (endpoint, region, keys); else none (AWS defaults)."""
    try:
        _, settings = default_remote()
    except RemoteError:
        return {}
    return settings if str(settings.get("url", "")).startswith("s3://") else {}


def _check_bucket(url: str, settings: dict):
    """List one object under the prefix (quick timeouts); the frozen credentials, None for anonymous access."""
    # only with an s3:// storage
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

    match = S3_URL.fullmatch(url)
    assert match is not None  # storage_url checked it
    endpoint = f"{settings['endpointurl']}, the DVC remote's endpointurl" if settings.get("endpointurl") else "AWS S3"
    where = f"{SETTING} {url} (at {endpoint})"
    found = credentials = None
    try:
        client, session = s3_client(settings)
        if not settings.get("allow_anonymous_login"):
            found = session.get_credentials()
            if found is None:
                raise PipelineError(
                    f"{where}: no AWS credentials found: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                    "or AWS_PROFILE, or set the DVC remote's keys in .dvc/config.local"
                )
            credentials = found.get_frozen_credentials()
        client.list_objects_v2(Bucket=match["bucket"], Prefix=match["prefix"] or "", MaxKeys=1)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "NoSuchBucket":
            bucket = match["bucket"]
            raise PipelineError(f"{where}: bucket {bucket!r} does not exist: create it, or name another") from None
        raise PipelineError(
            f"{where}: refused ({code or error}) for the {credentials_source(found)}: the keys need "
            "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject there"
        ) from None
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise PipelineError(f"{where}: cannot reach it ({error}); is the server running, the address right?") from None
    except BotoCoreError as error:  # a missing profile, partial keys
        raise PipelineError(f"{where}: {error}") from None
    return credentials
