from rest_framework.response import Response
from rest_framework.views import APIView


class Notes(APIView):
    required_scopes = ["notes:read"]      # all of them, checked by tokenlane's core

    def get(self, request):
        return Response({"sub": request.auth.sub})


class Export(Notes):
    required_scopes = ["notes:read", "notes:write"]
