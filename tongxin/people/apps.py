from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "tongxin.people"
    label = "people"
    verbose_name = "人员"
