"""Price and shares sources (online)."""
