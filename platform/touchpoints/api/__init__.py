"""The versioned JSON API (issue 7): public approved data, and token-protected monitoring."""
