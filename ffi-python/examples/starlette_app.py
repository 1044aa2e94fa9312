import os

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from tokenlane.fastapi import TokenMiddleware, metadata_route
from tokenlane.web import ProtectedResource

resource = ProtectedResource(
    resource="https://api.example",
    issuer="https://issuer.example/",
    algorithms=["ES256"],
    keys=os.environ.get("API_JWKS"),      # None: discovery from the issuer
)


def needs(*scopes: str) -> list[Middleware]:
    return [Middleware(TokenMiddleware, resource=resource, scopes=scopes)]


async def notes(request):
    return JSONResponse({"sub": request.state.access_token.sub})


app = Starlette(routes=[
    Route("/notes", notes, middleware=needs("notes:read")),
    Route("/notes/export", notes, middleware=needs("notes:read", "notes:write")),
])
metadata_route(app, resource)
