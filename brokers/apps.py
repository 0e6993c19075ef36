from django.apps import AppConfig


class BrokersConfig(AppConfig):
    name = "brokers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from brokers.fink import display
        from brokers.fink.ingest import CUTOUT_STORE_NAMES
        from brokers.models import ArchivedAlert
        from icare_tom.health import EXTRA_CHECKS
        from icare_tom.stream_metrics import consumers_health
        from sources.cutouts import CUTOUT_STORES

        EXTRA_CHECKS["fink_streams"] = consumers_health
        display.register()
        for survey, store in CUTOUT_STORE_NAMES.items():
            CUTOUT_STORES[store] = ArchivedAlert.store_for(survey)

    def data_services(self) -> list[dict[str, str]]:
        """TOM Toolkit data services this app provides (read by tom_dataservices)."""
        return [
            {"class": "brokers.fink.dataservice.FinkZTFDataService"},
            {"class": "brokers.fink.dataservice.FinkLSSTDataService"},
        ]
