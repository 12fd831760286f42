from django.urls import path

from cases import views

urlpatterns = [
    path("", views.today, name="today"),
]
