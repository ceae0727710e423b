from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "voronka.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        # WhiteNoise warns "No directory at STATIC_ROOT" on start until collectstatic ran; the files are
        # served from the apps (WHITENOISE_USE_FINDERS) meanwhile, so an empty directory is all it needs.
        import contextlib
        from pathlib import Path

        from django.conf import settings

        with contextlib.suppress(OSError):  # a read-only file system: the warning then stays, nothing breaks
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
