"""Deployment checks (``voronka check --deploy``) for settings Django's own checks do not cover."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_ssl_redirect_behind_proxy(app_configs, **kwargs) -> list[Warning]:
    """Behind a TLS-terminating proxy the redirect loops unless Django trusts the proxy's scheme header."""
    if settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        return [Warning(
            "SECURE_SSL_REDIRECT is on but no proxy scheme header is trusted.",
            hint="Behind nginx/caddy terminating TLS set USE_X_FORWARDED_PROTO=1 (the proxy must set "
                 "X-Forwarded-Proto), or requests redirect forever; without TLS set SECURE_SSL_REDIRECT=0.",
            id="voronka.W001",
        )]
    return []
