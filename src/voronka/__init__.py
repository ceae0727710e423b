"""Voronka: a CRM for sales departments."""

__version__ = "0.1.0"
