"""OAuth 2 for every provider (Xero, Wisenet): PKCE login, token endpoint, crash-safe rotation.

Provider-neutral: each provider passes its URLs, client and scopes in, and turns this package's
errors into its own. Tokens are kept through the `TokenStore` protocol (ports.py).
"""
