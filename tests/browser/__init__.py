"""Browser test helpers: headless Chromium over the DevTools pipe and a test MCP host page."""
