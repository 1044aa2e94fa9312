import os

from tokenlane.web import ProtectedResource

TOKENLANE_RESOURCE = ProtectedResource(
    resource="https://api.example",
    issuer="https://issuer.example/",
    algorithms=["ES256"],
    keys=os.environ.get("API_JWKS"),      # None: discovery from the issuer
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tokenlane.django.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tokenlane.django.HasScopes"],
    "UNAUTHENTICATED_USER": None,
}
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"]
ROOT_URLCONF = "drf_notes.urls"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "change-me")
ALLOWED_HOSTS = ["*"]
