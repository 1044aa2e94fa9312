"""The framework integrations (tokenlane.fastapi, .flask, .django, .mcp)."""
