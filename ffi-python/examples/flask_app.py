import os

from flask import Flask, g

from tokenlane.flask import TokenProtect
from tokenlane.web import ProtectedResource

resource = ProtectedResource(
    resource="https://api.example",
    issuer="https://issuer.example/",
    algorithms=["ES256"],
    keys=os.environ.get("API_JWKS"),      # None: discovery from the issuer
)
app = Flask(__name__)
tokens = TokenProtect(resource, app)      # also serves the RFC 9728 document


@app.get("/notes")
@tokens.require_token(scopes=["notes:read"])
def notes():
    return {"sub": g.access_token.sub}


@app.get("/notes/export")
@tokens.require_token(scopes=["notes:read", "notes:write"])
def export():
    return {"sub": g.access_token.sub}
