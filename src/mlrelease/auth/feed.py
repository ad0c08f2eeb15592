"""Feed credentials, from one documented source order; never prompting, never from the config file.

1. ``MLRELEASE_FEED_TOKEN`` in the environment (a PAT, an API token or a password), with
   ``MLRELEASE_FEED_USERNAME`` (default ``mlrelease``; Azure Artifacts accepts any username);
2. for Azure Artifacts: an Entra ID access token for Azure DevOps (resource
   ``499b84ac-1321-427f-aa17-267ca6975798``) from azure-identity, which covers the Azure CLI after
   ``azure/login``, workload identity federation (GitHub OIDC) and managed identity;
3. keyring, looked up with the upload URL as the service name (as twine does), when the keyring
   package is installed and a non-interactive backend answers;
4. none: anonymous requests (a feed that needs credentials answers 401, reported with this order).

Every secret is registered with :mod:`mlrelease._util.redact` the moment it is read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mlrelease._util.console import mask
from mlrelease.auth.azure import AZURE_DEVOPS_RESOURCE, get_access_token
from mlrelease.errors import AuthError

TOKEN_ENV = "MLRELEASE_FEED_TOKEN"  # noqa: S105 - the name of a variable, not a secret
USERNAME_ENV = "MLRELEASE_FEED_USERNAME"
DEFAULT_USERNAME = "mlrelease"
ORDER = (
    f"{TOKEN_ENV} (+ {USERNAME_ENV}), then for Azure Artifacts an Entra ID token from "
    "azure-identity, then keyring"
)


@dataclass(frozen=True)
class FeedCredential:
    username: str
    password: str = ""
    source: str = ""  # where it came from; "" when none was found

    @property
    def present(self) -> bool:
        return bool(self.password)

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a traceback
        return f"FeedCredential(username={self.username!r}, source={self.source!r})"


NO_CREDENTIAL = FeedCredential(username="", password="", source="")


def from_environment() -> FeedCredential | None:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        return None
    mask(token)
    username = os.environ.get(USERNAME_ENV, "") or DEFAULT_USERNAME
    return FeedCredential(username, token, f"the environment ({TOKEN_ENV})")


def from_azure() -> FeedCredential:
    """An Entra ID token for Azure DevOps; raises AuthError when no Azure source has one."""

    token = get_access_token(AZURE_DEVOPS_RESOURCE)
    mask(token.token)
    return FeedCredential(DEFAULT_USERNAME, token.token, token.source)


def from_keyring(service: str) -> FeedCredential | None:
    """A credential stored with ``keyring set <upload-url> <username>`` (None when absent)."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    username = os.environ.get(USERNAME_ENV) or None
    try:
        found = keyring.get_credential(service, username)
    except (KeyringError, RuntimeError, OSError):
        return None
    if found is None or not found.password:
        return None
    mask(found.password)
    return FeedCredential(found.username or DEFAULT_USERNAME, found.password, "keyring")


def feed_credential(upload_url: str, *, azure: bool) -> FeedCredential:
    """The first credential found in the documented order (:data:`ORDER`)."""
    env = from_environment()
    if env is not None:
        return env
    azure_failure: AuthError | None = None
    if azure:
        try:
            return from_azure()
        except AuthError as exc:
            azure_failure = exc
    stored = from_keyring(upload_url)
    if stored is not None:
        return stored
    if azure_failure is not None:
        raise AuthError(
            f"no credentials for the Azure Artifacts feed: {azure_failure.message}",
            hint=f"looked in: {ORDER}. In GitHub Actions run azure/login (OIDC) before publishing "
            f"and grant the identity the Feed Publisher role; locally `az login`, or set {TOKEN_ENV}",
        )
    return NO_CREDENTIAL
