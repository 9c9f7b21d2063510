"""E-mail digests: subscriptions (double opt-in, signed links), composing a period's digest, delivery."""
