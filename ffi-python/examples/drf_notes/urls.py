from django.conf import settings
from django.urls import path

from tokenlane.django import metadata_view

from .views import Export, Notes

urlpatterns = [
    path("notes", Notes.as_view()),
    path("notes/export", Export.as_view()),
    path(settings.TOKENLANE_RESOURCE.metadata_path.lstrip("/"), metadata_view()),
]
