"""A cited career-guidance and policy-tracking assistant for healthcare-technology workforce programs."""

__version__ = "0.1.0"
