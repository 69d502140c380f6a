"""nukesim: how long until those who must act know, and until the rescue team is on its way."""

__version__ = "0.1.0"
