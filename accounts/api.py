"""REST endpoints of accounts: who am I, with my roles, ACLs and groups."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access


class GroupSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    acls = serializers.ListField(child=serializers.CharField())
    groups = GroupSummarySerializer(many=True)


class MeView(APIView):
    """The authenticated user's roles, effective ACLs and groups."""

    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        payload = {
            "username": user.username,
            "roles": access.roles_of(user),
            "acls": sorted(access.effective_acls(user)),
            "groups": [
                {"id": group.pk, "name": group.name}
                for group in access.groups_of(user).order_by("name")
            ],
        }
        return Response(MeSerializer(payload).data)
