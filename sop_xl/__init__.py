"""sop_xl: Sales & Operations Planning that lives inside Excel."""

__version__ = "0.1.0"
