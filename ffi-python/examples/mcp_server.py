import os

from mcp.server.mcpserver import MCPServer

from tokenlane.mcp import TokenVerifier, auth_settings, protect
from tokenlane.web import ProtectedResource

resource = ProtectedResource(
    resource=os.environ.get("MCP_URL", "https://mcp.example/mcp"),  # the server's URL: the audience
    issuer=os.environ.get("MCP_ISSUER", "https://issuer.example/"),
    algorithms=["ES256"],
    keys=os.environ.get("API_JWKS"),      # None: discovery from the issuer
    dpop="disabled",                      # the SDK's hook reads Bearer tokens only
    scopes_supported=["notes:read"],
)
server = MCPServer("notes", token_verifier=TokenVerifier(resource), auth=auth_settings(resource))


@server.tool()
def count_notes() -> int:
    return 3


app = protect(server.streamable_http_app(), resource)   # precise 401/403, RFC 9728 document
