"""paperwire for agents: an MCP server (``server.py``) over the same service functions the JSON API
calls (``tools.py``), served over stdio by ``paperwire mcp`` and over streamable HTTP at ``/mcp`` on
every ``paperwire serve`` node (``http.py``). The package is not called ``mcp``: that name is the
SDK's."""
