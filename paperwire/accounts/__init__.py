"""Members: password hashing and account creation (sign-in pages build on these)."""
