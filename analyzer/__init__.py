"""prodready: tells a team whether their repository is ready for production."""

__version__ = "0.1.0"
