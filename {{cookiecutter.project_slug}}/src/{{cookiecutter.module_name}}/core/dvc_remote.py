"""The DVC remote's settings as DVC reads them, and an S3 client configured as DVC configures its
own: what `make push / pull / status` check before DVC talks to the remote (ops/remote.py), and
where the Dask engine's workers get their S3 endpoint and keys (engine/dask/storage.py).

botocore comes with dvc[s3]; it is imported only when the remote is on S3.
"""

import os

# Fail in seconds, not minutes: DVC itself retries a dead endpoint for a long while.
CONNECT_TIMEOUT_S = 5
ATTEMPTS = 2

CREDENTIAL_SOURCES = {
    "env": "the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
    "explicit": "the DVC config (access_key_id / secret_access_key in .dvc/config.local)",
    "shared-credentials-file": "~/.aws/credentials",
    "config-file": "~/.aws/config",
}


class RemoteError(Exception):
    """The remote cannot be used as configured; the message says why and what to change."""


def default_remote() -> tuple[str, dict]:
    """The name and settings of the default DVC remote, all config levels merged.

    Settings that .dvc/config.local overrides are listed under the extra key "local_keys",
    so that advice names the file where the wrong value really is.
    """
    from dvc.config import Config  # heavy: only when a command checks the remote
    from dvc.exceptions import DvcException

    try:
        config = Config.from_cwd()
        local = config.load_one("local")
    except DvcException as error:
        raise RemoteError(f"cannot read the DVC config: {error}") from None
    name = config["core"].get("remote")
    if not name:
        raise RemoteError("no default DVC remote: set one with `make remote URL=s3://bucket/prefix` (see README)")
    if name not in config["remote"]:
        raise RemoteError(f"the default DVC remote {name!r} is not defined in .dvc/config: run `make remote URL=...`")
    return name, {**config["remote"][name], "local_keys": set(local.get("remote", {}).get(name, {}))}


def s3_client(settings: dict):
    """A botocore S3 client configured as DVC configures its own (dvc-s3 reads the same keys)."""
    import botocore.session  # only for an S3 remote (botocore comes with dvc[s3])
    from botocore import UNSIGNED
    from botocore.config import Config

    if settings.get("credentialpath"):
        os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", settings["credentialpath"])
    if settings.get("configpath"):
        os.environ.setdefault("AWS_CONFIG_FILE", settings["configpath"])
    session = botocore.session.Session(profile=settings.get("profile"))
    if settings.get("access_key_id"):
        # As in dvc-s3: keys in the DVC config win over the environment and ~/.aws.
        session.set_credentials(
            settings["access_key_id"], settings.get("secret_access_key"), settings.get("session_token")
        )
        session.get_credentials().method = "explicit"
    config = Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=CONNECT_TIMEOUT_S * 2,
        retries={"total_max_attempts": ATTEMPTS, "mode": "standard"},
        signature_version=UNSIGNED if settings.get("allow_anonymous_login") else None,
    )
    return session.create_client(
        "s3",
        endpoint_url=settings.get("endpointurl"),
        region_name=settings.get("region"),
        use_ssl=settings.get("use_ssl", True),
        verify=settings.get("ssl_verify"),
        config=config,
    ), session


def credentials_source(credentials) -> str:
    """Which key, from where: for messages, so the user knows which setting to fix."""
    if credentials is None:
        return "no credentials (anonymous access)"
    return f"key {credentials.access_key!r} from {CREDENTIAL_SOURCES.get(credentials.method, credentials.method)}"
