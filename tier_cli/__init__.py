"""tier: a tier advisor for Python web apps hosted on Render."""

__version__ = "0.1.0"
