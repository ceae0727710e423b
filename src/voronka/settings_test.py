"""Settings for the test suite: the real settings with fast hashing, immediate tasks and in-memory mail."""

import os

os.environ.setdefault("VORONKA_TESTING", "1")

from voronka.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
VORONKA_WORKER_REQUIRED = False  # no worker process with the immediate backend: /readyz does not wait for one
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_AUTOREFRESH = True
LOGGING["loggers"]["voronka"]["level"] = "WARNING"  # noqa: F405
