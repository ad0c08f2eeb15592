"""Registry credentials: Azure Container Registry keyless (Entra ID -> ACR refresh token), or
``MLRELEASE_REGISTRY_USERNAME`` / ``MLRELEASE_REGISTRY_PASSWORD`` for any registry.

The ACR exchange (documented in Azure/acr ``docs/AAD-OAuth.md``)::

    POST https://<registry>/oauth2/exchange
    Content-Type: application/x-www-form-urlencoded
    grant_type=access_token&service=<registry>&tenant=<tenant id>&access_token=<Entra token>
    -> 200 {"refresh_token": "<ACR refresh token>"}

The refresh token is then the password, with the fixed username
``00000000-0000-0000-0000-000000000000``. Every token is registered with :mod:`mlrelease._util.redact`
the moment it exists. The request only ever goes to ``https://<registry>``, the registry named in
the configuration.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode

from mlrelease._util.console import mask
from mlrelease._util.redact import redact
from mlrelease.auth.azure import ARM_RESOURCE, explain_azure_failure, get_access_token
from mlrelease.errors import AuthError

ACR_USERNAME = "00000000-0000-0000-0000-000000000000"
USERNAME_ENV = "MLRELEASE_REGISTRY_USERNAME"
PASSWORD_ENV = "MLRELEASE_REGISTRY_PASSWORD"  # noqa: S105 - the name of a variable


@dataclass(frozen=True)
class RegistryCredential:
    username: str
    password: str = field(repr=False)
    source: str = ""

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"RegistryCredential(username={self.username!r}, source={self.source!r})"


def is_acr(registry: str) -> bool:
    host = registry.split(":", maxsplit=1)[0].lower()
    return host.endswith((".azurecr.io", ".azurecr.cn", ".azurecr.us"))


def tenant_of(access_token: str) -> str | None:
    """The ``tid`` claim of an Entra JWT (read, not verified: ACR verifies it)."""
    parts = access_token.split(".")
    if len(parts) < 2:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    tid = payload.get("tid") if isinstance(payload, dict) else None
    return tid if isinstance(tid, str) else None


def exchange_for_refresh_token(
    registry: str,
    access_token: str,
    *,
    tenant: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 60,
) -> str:
    """POST ``https://<registry>/oauth2/exchange``; the ACR refresh token (registered secret)."""
    mask(access_token)
    form = {"grant_type": "access_token", "service": registry.split(":", maxsplit=1)[0]}
    tenant = tenant or os.environ.get("AZURE_TENANT_ID") or tenant_of(access_token)
    if tenant:
        form["tenant"] = tenant
    form["access_token"] = access_token
    req = urllib.request.Request(
        f"https://{registry}/oauth2/exchange",
        data=urlencode(form).encode(),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    context = ssl_context or ssl.create_default_context()
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:  # noqa: S310
            body = resp.read()
    except urllib.error.HTTPError as exc:
        text = redact(exc.read()[:500].decode("utf-8", "replace"))
        raise _exchange_failure(registry, exc.code, text) from None
    except (urllib.error.URLError, OSError) as exc:
        raise AuthError(
            f"cannot reach {registry} for the ACR token exchange: "
            f"{redact(str(getattr(exc, 'reason', exc)))}",
            hint="check the registry name and that this runner may reach it (registry firewall, "
            "private endpoint, proxy)",
        ) from None
    try:
        token = json.loads(body)["refresh_token"]
    except (ValueError, KeyError, TypeError):
        raise AuthError(
            f"{registry}: the token exchange answered without a refresh_token"
        ) from None
    if not isinstance(token, str) or not token:
        raise AuthError(f"{registry}: the token exchange answered an empty refresh_token")
    mask(token)
    return token


def _exchange_failure(registry: str, status: int, text: str) -> AuthError:

    known = explain_azure_failure(text)
    if known:
        return AuthError(f"{registry}: {known}")
    if status in (401, 403):
        return AuthError(
            f"{registry} refused the Entra ID token in the exchange ({status}): {text[:200]}",
            hint="the identity needs a role on the registry (AcrPush to publish), and the token "
            "must be for this tenant; run `mlrelease doctor`",
        )
    return AuthError(f"{registry}: the token exchange failed with {status}: {text[:200]}")


def acr_credential(
    registry: str, *, ssl_context: ssl.SSLContext | None = None
) -> RegistryCredential:
    """Keyless: an Entra ID token from azure-identity, exchanged for an ACR refresh token."""

    aad = get_access_token(ARM_RESOURCE)
    refresh = exchange_for_refresh_token(registry, aad.token, ssl_context=ssl_context)
    return RegistryCredential(ACR_USERNAME, refresh, f"{aad.source} via ACR token exchange")


def registry_credential(registry: str) -> RegistryCredential | None:
    """Credentials for ``registry`` in the documented order, or None (anonymous).

    1. ``MLRELEASE_REGISTRY_USERNAME`` + ``MLRELEASE_REGISTRY_PASSWORD`` (any registry; for ACR a
       password alone is taken as a refresh token);
    2. for ``*.azurecr.io``: Entra ID (OIDC, managed identity, Azure CLI) + the ACR exchange;
    3. none: anonymous (a registry that needs credentials answers 401, reported with the fix).
    """
    password = os.environ.get(PASSWORD_ENV, "")
    username = os.environ.get(USERNAME_ENV, "")
    if password:
        mask(password)
        if not username and not is_acr(registry):
            raise AuthError(
                f"{PASSWORD_ENV} is set but {USERNAME_ENV} is not",
                hint=f"set {USERNAME_ENV} to the registry user name",
            )
        return RegistryCredential(
            username or ACR_USERNAME, password, f"environment ({USERNAME_ENV}/{PASSWORD_ENV})"
        )
    if is_acr(registry):
        return acr_credential(registry)
    return None
