"""Members and committees (Congress, the Massachusetts legislature): import, store, lookups."""
