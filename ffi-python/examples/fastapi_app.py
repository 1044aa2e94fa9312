import os

from fastapi import FastAPI, Security

import tokenlane
from tokenlane.fastapi import TokenAuth, metadata_route
from tokenlane.web import ProtectedResource

resource = ProtectedResource(
    resource="https://api.example",       # this API's URL: the audience tokens must name
    issuer="https://issuer.example/",
    algorithms=["ES256"],
    keys=os.environ.get("API_JWKS"),      # None: discovery from the issuer, keys kept fresh
    scopes_supported=["notes:read", "notes:write"],
)
auth = TokenAuth(resource)
app = FastAPI()
metadata_route(app, resource)             # GET /.well-known/oauth-protected-resource


@app.get("/notes")
async def notes(token: tokenlane.AccessToken = Security(auth, scopes=["notes:read"])) -> dict:
    return {"sub": token.sub, "scopes": token.scopes}


@app.get("/notes/export")                 # every scope listed is required
async def export(token: tokenlane.AccessToken = Security(auth, scopes=["notes:read", "notes:write"])) -> dict:
    return {"sub": token.sub}
