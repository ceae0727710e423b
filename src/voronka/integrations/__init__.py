"""Integrations: outgoing webhooks (and, later, web forms)."""
