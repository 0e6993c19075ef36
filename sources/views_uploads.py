"""Source page: upload photometry (CSV) and spectra (ASCII/CSV/FITS), validate points, and
the "Data" panel that shows spectra and uploaded points. Logic in ``sources.uploads``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import access, acl
from sources import uploads
from sources.models import Photometry
from sources.uploads import UploadError

MAX_CSV_BYTES = 10_000_000


def _source(name: str) -> str:
    return reverse("sources:source", args=[name])


def _refused(request: HttpRequest, target, what: str, exc: UploadError) -> HttpResponse:
    messages.error(request, f"{what} refused: {exc.detail()}")
    response = redirect(_source(target.name))
    return response


@login_required
@require_POST
def upload_photometry_csv(request: HttpRequest, name: str) -> HttpResponse:
    target = access.target_for(request.user, name=name)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise UploadError("choose a CSV file")
        if upload.size > MAX_CSV_BYTES:
            raise UploadError(f"a CSV file is at most {MAX_CSV_BYTES} bytes")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadError("the file is not UTF-8 text") from None
        n = uploads.upload_photometry(
            request.user,
            target,
            group_ids=request.POST.getlist("group_ids"),
            instrument=request.POST.get("instrument", "").strip(),
            points=uploads.points_from_csv(text),
        )
    except UploadError as exc:
        return _refused(request, target, "Photometry upload", exc)
    messages.success(request, f"{n} photometry points stored.")
    return redirect(_source(target.name))


@login_required
@require_POST
def upload_spectrum(request: HttpRequest, name: str) -> HttpResponse:
    from sources.api_uploads import observed_at_of, parse_spectrum_request

    target = access.target_for(request.user, name=name)
    try:
        uploads.check_may_upload(request.user, target)
        groups = uploads.upload_groups(request.user, target, request.POST.getlist("group_ids"))
        if "file" not in request.FILES:
            raise UploadError("choose a spectrum file")
        parsed = parse_spectrum_request(request.POST, request.FILES)
        uploads.store_spectrum(
            target,
            parsed,
            instrument=request.POST.get("instrument", "").strip(),
            observed_at=observed_at_of(request.POST.get("observed_at", "")),
            groups=groups,
            owner=request.user,
            label=request.FILES["file"].name or "",
        )
    except UploadError as exc:
        return _refused(request, target, "Spectrum upload", exc)
    messages.success(request, "Spectrum stored.")
    return redirect(_source(target.name))


@login_required
@require_POST
def validate_photometry(request: HttpRequest, name: str) -> HttpResponse:
    target = access.target_for(request.user, name=name)
    try:
        n = uploads.validate_points(
            request.user,
            target,
            request.POST.getlist("key"),
            request.POST.get("status", ""),
            request.POST.get("reason", ""),
        )
    except UploadError as exc:
        return _refused(request, target, "Validation", exc)
    messages.success(request, f"{n} points marked {request.POST.get('status')}.")
    return redirect(_source(target.name) + ("?rejected=1" if request.POST.get("show") else ""))


MAX_LISTED_POINTS = 500


def data_panel_context(request: HttpRequest, target) -> dict | None:
    """Spectra, uploaded and follow-up points (with their validation), upload forms."""
    user = request.user
    if not access.is_approved(user):
        return None
    spectra = list(uploads.visible_spectra(user, target))
    show_rejected = request.GET.get("rejected") == "1"
    rows = uploads.visible_photometry(
        user, Photometry.objects.filter(target=target), include_rejected=True
    )
    may_validate = access.has_acl(user, acl.MANAGE_SOURCES)
    listed = rows if may_validate else rows.filter(origin__in=("upload", "followup"))
    points = list(
        listed.order_by("-measurement_key").values(
            "measurement_key",
            "mjd",
            "band",
            "instrument",
            "mag",
            "magerr",
            "limiting_mag",
            "flux",
            "fluxerr",
            "origin",
        )[:MAX_LISTED_POINTS]
    )
    marks = uploads.validations_of(target)
    for p in points:
        mark = marks.get(p["measurement_key"])
        p["validation"] = mark.status if mark else ""
        p["reason"] = mark.reason if mark else ""
    n_rejected = sum(1 for m in marks.values() if m.status == "rejected")
    return {
        "spectra": spectra,
        "spectra_data": uploads.spectra_plot_data(spectra),
        "data_points": points,
        "may_upload": access.has_acl(user, acl.UPLOAD_DATA),
        "may_validate": may_validate,
        "upload_groups": list(
            access.groups_of(user).filter(pk__in=access.owning_groups(target).values("pk"))
        ),
        "show_rejected": show_rejected,
        "n_rejected": n_rejected,
    }
