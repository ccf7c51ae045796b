from django.apps import AppConfig


class DataioConfig(AppConfig):
    name = "tongxin.dataio"
    label = "dataio"
    verbose_name = "导入导出"

    def ready(self):
        from . import tasks  # noqa: F401  (registers the stall check with the scheduler)
