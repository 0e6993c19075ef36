from django.apps import AppConfig


class IcareTomConfig(AppConfig):
    name = "icare_tom"
    verbose_name = "ICARE-TOM"

    def ready(self):
        from icare_tom import offline_science

        offline_science.configure()
