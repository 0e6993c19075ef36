from django.apps import AppConfig


class IcareTomConfig(AppConfig):
    name = "icare_tom"
    verbose_name = "ICARE-TOM"
