"""tier: a tier advisor for Python web apps hosted on Render."""

__all__ = ["DISTRIBUTION", "__version__"]

DISTRIBUTION = "render-tier"  # the name to install (pyproject.toml); the command is `tier`

try:  # written by setuptools-scm when the package is built or installed, from the git tag
    from tier_cli._version import __version__
except ImportError:  # pragma: no cover - a source tree that was never built or installed
    __version__ = "0+unknown"
