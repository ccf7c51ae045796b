from django.apps import AppConfig


class DataioConfig(AppConfig):
    name = "tongxin.dataio"
    label = "dataio"
    verbose_name = "导入导出"
