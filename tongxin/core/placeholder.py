from django.http import HttpResponse


def placeholder(request, *args, **kwargs):  # replaced by each app's real views
    return HttpResponse("coming soon")
