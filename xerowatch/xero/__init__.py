"""Async Xero client: auth, quota scheduler, models, paging, errors."""
