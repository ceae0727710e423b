"""One ninja ``Router`` per resource; ``voronka.api.urls`` mounts them under ``/api/v1/``."""
