from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "brokers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from brokers.fink.stream_metrics import consumers_health
        from icare_tom.health import EXTRA_CHECKS

        EXTRA_CHECKS["fink_streams"] = consumers_health

    def data_services(self) -> list[dict[str, str]]:
        """TOM Toolkit data services this app provides (read by tom_dataservices)."""
        return [
            {"class": "brokers.fink.dataservice.FinkZTFDataService"},
            {"class": "brokers.fink.dataservice.FinkLSSTDataService"},
        ]
