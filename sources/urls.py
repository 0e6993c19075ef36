from django.urls import path

from sources import api, api_uploads, views, views_uploads

app_name = "sources"

urlpatterns = [
    path("", views.home, name="home"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/stream/", views.candidate_stream, name="candidate-stream"),
    path("sources/<str:name>/", views.source, name="source"),
    path("sources/<str:name>/alerts/", views.object_alerts, name="object-alerts"),
    path("sources/<str:name>/photometry.csv", views.photometry_csv, name="photometry-csv"),
    path("sources/<str:name>/save/", views.save, name="save"),
    path(
        "sources/<str:name>/photometry/upload/",
        views_uploads.upload_photometry_csv,
        name="photometry-upload",
    ),
    path(
        "sources/<str:name>/photometry/validate/",
        views_uploads.validate_photometry,
        name="photometry-validate",
    ),
    path(
        "sources/<str:name>/spectra/upload/", views_uploads.upload_spectrum, name="spectrum-upload"
    ),
    path("sources/<str:name>/unsave/", views.unsave, name="unsave"),
    path("sources/<str:name>/reject/", views.reject, name="reject"),
    path("sources/<str:name>/unreject/", views.unreject, name="unreject"),
    path("sources/<str:name>/classify/", views.add_classification, name="classify"),
    path("sources/<str:name>/comment/", views.add_comment, name="comment"),
    path("sources/<str:name>/tag/", views.add_tag, name="tag"),
    path("classifications/<int:classification_id>/vote/", views.vote, name="vote"),
    path("group-sources/", views.my_groups, name="my-groups"),
    path("groups/<int:group_id>/sources/", views.group_sources, name="group-sources"),
    path("vendor/plotly.min.js", views.plotly_js, name="plotly-js"),
    path("api/candidates", api.CandidateList.as_view(), name="api-candidates"),
    path("api/sources", api.SourceSave.as_view(), name="api-sources"),
    path("api/sources/<str:name>", api.SourceUnsave.as_view(), name="api-source"),
    path("api/sources/<str:name>/comments", api.SourceComments.as_view(), name="api-comments"),
    path("api/photometry", api_uploads.PhotometryUpload.as_view(), name="api-photometry"),
    path(
        "api/photometry/validation",
        api_uploads.PhotometryValidate.as_view(),
        name="api-photometry-validation",
    ),
    path("api/spectra", api_uploads.SpectrumUpload.as_view(), name="api-spectra"),
]
