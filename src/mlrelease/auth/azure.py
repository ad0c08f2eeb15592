"""Entra ID (Azure AD) access tokens for Azure DevOps (Artifacts feeds) and ACR, keyless.

Tokens come from azure-identity's ``DefaultAzureCredential`` without interactive prompts: it covers
the Azure CLI (after ``azure/login`` with OIDC), workload identity federation
(``AZURE_FEDERATED_TOKEN_FILE``), managed identity (IMDS and App Service's ``IDENTITY_ENDPOINT``)
and environment credentials. Every token is registered with :mod:`mlrelease._util.redact` the moment it
exists, so it is masked in every later line (and ``::add-mask::``-ed on GitHub Actions).

Known Entra failures are mapped to messages that say what to do (failure mode 13).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlrelease._util.console import mask
from mlrelease.errors import AuthError

# The Azure DevOps resource (application) ID: tokens for it are accepted by Azure Artifacts.
AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"
# ACR accepts an ARM-audience Entra token at /oauth2/exchange.
ARM_RESOURCE = "https://management.azure.com"

_KNOWN_FAILURES: tuple[tuple[str, str], ...] = (
    (
        "AADSTS700213",
        "no federated credential matches the subject this workflow presented (AADSTS700213): add "
        "a federated credential for exactly that subject, e.g. "
        "repo:<owner>/<repo>:ref:refs/heads/main or repo:<owner>/<repo>:environment:<name> "
        "(`mlrelease doctor` prints the subjects your workflows send)",
    ),
    (
        "AADSTS700024",
        "the GitHub OIDC assertion expired before it was exchanged (AADSTS700024): fetch Azure "
        "tokens right after azure/login, in the same job, and do not reuse a token across long steps",
    ),
    (
        "AADSTS70021",
        "no federated credential matches this token's issuer/subject (AADSTS70021): check the "
        "issuer https://token.actions.githubusercontent.com and the subject in the app registration",
    ),
    (
        "AADSTS7000215",
        "an invalid client secret was provided (AADSTS7000215): mlrelease is meant to run keyless; "
        "remove AZURE_CLIENT_SECRET and use OIDC (azure/login with client-id, tenant-id)",
    ),
    (
        "is not allowed access",
        "the registry's firewall refused this client's IP: allow the runner's IP range or use a "
        "self-hosted runner inside the network",
    ),
    (
        "client with IP",
        "the registry's firewall refused this client's IP: allow the runner's IP range or use a "
        "self-hosted runner inside the network",
    ),
)


@dataclass(frozen=True)
class AzureToken:
    token: str
    source: str  # which credential produced it, for error messages


def explain_azure_failure(text: str) -> str | None:
    """A message for a known Entra/ACR failure found in ``text`` (None when unknown)."""
    for marker, message in _KNOWN_FAILURES:
        if marker in text:
            return message
    return None


def get_access_token(resource: str) -> AzureToken:
    """An Entra ID access token for ``resource`` (e.g. :data:`AZURE_DEVOPS_RESOURCE`).

    Raises :class:`AuthError` with an actionable message; never prompts.
    """
    try:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise AuthError(
            "no Azure credential library: azure-identity is not installed",
            hint="pip install 'mlrelease[azure]', or set MLRELEASE_FEED_TOKEN / "
            "MLRELEASE_REGISTRY_PASSWORD",
        ) from None
    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    scope = resource.rstrip("/") + "/.default"
    try:
        token = credential.get_token(scope)
    except ClientAuthenticationError as exc:
        text = str(exc)
        known = explain_azure_failure(text)
        raise AuthError(
            known or "could not get an Entra ID token from any Azure credential source",
            hint="log in with azure/login (OIDC) or `az login`, or set MLRELEASE_FEED_TOKEN; "
            "run with -v to see each source tried",
        ) from None
    mask(token.token)
    return AzureToken(token.token, _credential_source(credential))


def _credential_source(credential: object) -> str:
    inner = getattr(credential, "_successful_credential", None)
    return f"azure-identity ({type(inner).__name__})" if inner else "azure-identity"
