"""xerowatch: keeps a student-management system (Wisenet LRM) and Xero accounting in step."""

__version__ = "0.1.0"
__all__ = ["__version__"]
