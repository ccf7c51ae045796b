from django.urls import path

from . import views

app_name = "rhythm"
urlpatterns = [
    path("", views.index, name="index"),
    path("prompts/", views.prompt_list, name="prompts"),
    path("prompts/generate/", views.prompts_generate, name="prompts_generate"),
    path("prompts/<int:pk>/", views.prompt_detail, name="prompt"),
    path("prompts/preview/<int:unit_id>/", views.prompt_preview, name="prompt_preview"),
    path("settings/", views.settings_page, name="settings"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/generate/", views.review_generate, name="review_generate"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/pdf/", views.review_pdf, name="review_pdf"),
    path("reviews/<int:pk>/records/", views.review_records, name="review_records"),
]
