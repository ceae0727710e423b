"""The REST API (django-ninja) at ``/api/v1/``: thin handlers over the same services and selectors as the UI.

``urls.py`` builds the one ``NinjaAPI`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs`` from ninja's
own static files, no CDN) and mounts the routers of ``routers/``. ``auth.py`` admits a request (a personal
token or the session with CSRF, rate limit), ``errors.py`` turns every failure into RFC 9457 problem JSON,
``pagination.py`` pages lists by keyset cursor and ``idempotency.py`` replays retried POSTs.
"""
